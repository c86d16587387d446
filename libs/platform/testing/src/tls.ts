import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  /** The test CA's certificate (PEM): what clients trust (KAFKA_SSL_CA_FILE). */
  caFile: string;
  /** The broker's PKCS#8 key and certificate chain in one PEM file (Kafka `ssl.keystore.type=PEM`). */
  serverKeyStoreFile: string;
  /** A client certificate and its key (PEM), for mutual TLS (KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE). */
  clientCertFile: string;
  clientKeyFile: string;
  /** A second CA, which signed nothing the broker presents: trusting only it must fail. */
  otherCaFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
}

/** A CA's extensions: it signs certificates, nothing else. */
const CA_EXTENSIONS = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
/** The extensions every leaf certificate has, before its own. */
const LEAF_EXTENSIONS = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];

/**
 * `<name>.crt` for `/CN=<cn>` with a new unencrypted RSA key in `<name>.key`, SHA-256, valid for
 * two days, with `extensions` (these override the ones openssl's configuration adds): self-signed,
 * or signed by `issuer` (`<issuer>.crt`, `<issuer>.key`) in the same step (`req -x509 -CA`, OpenSSL 3).
 */
function makeCert(dir: string, name: string, cn: string, extensions: string[], issuer?: string): void {
  openssl(
    [
      'req', '-x509', '-sha256', '-days', '2',
      '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`,
      '-out', `${name}.crt`, '-subj', `/CN=${cn}`,
      ...(issuer ? ['-CA', `${issuer}.crt`, '-CAkey', `${issuer}.key`] : []),
      ...extensions.flatMap((e) => ['-addext', e]),
    ],
    dir,
  );
}

/**
 * A throw-away PKI in `dir`, made with `openssl` (PEM throughout: the broker reads PEM key stores
 * since Kafka 2.7 and Node's TLS takes PEM, so nothing is converted — keytool would write JKS or
 * PKCS#12 and still need openssl to hand Node a PEM key): a CA, a server certificate for
 * 127.0.0.1 / localhost signed by it, a client certificate signed by it, and an unrelated CA.
 * Keys are unencrypted; certificates are valid for two days.
 */
export function makeTestPki(dir: string): TestPki {
  makeCert(dir, 'ca', 'Herald test ca', CA_EXTENSIONS);
  makeCert(dir, 'other-ca', 'Herald test other-ca', CA_EXTENSIONS);
  makeCert(dir, 'server', 'localhost', [...LEAF_EXTENSIONS, 'subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth'], 'ca');
  makeCert(dir, 'client', 'herald-client', [...LEAF_EXTENSIONS, 'extendedKeyUsage=clientAuth'], 'ca');
  const serverKeyStoreFile = join(dir, 'server-keystore.pem');
  writeFileSync(
    serverKeyStoreFile,
    [
      readFileSync(join(dir, 'server.key'), 'utf8'),
      readFileSync(join(dir, 'server.crt'), 'utf8'),
      readFileSync(join(dir, 'ca.crt'), 'utf8'),
    ].join(''),
    { mode: 0o600 },
  );
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    serverKeyStoreFile,
    clientCertFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
    otherCaFile: join(dir, 'other-ca.crt'),
  };
}
