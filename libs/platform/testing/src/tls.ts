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

function makeCa(dir: string, name: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '2',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-subj',
      `/CN=Herald test ${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}

function makeLeaf(dir: string, name: string, cn: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-sha256',
      '-days',
      '2',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
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
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeLeaf(
    dir,
    'server',
    'localhost',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  );
  makeLeaf(
    dir,
    'client',
    'herald-client',
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  );
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
