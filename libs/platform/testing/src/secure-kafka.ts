import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from './ports';
import { makeTestPki, type TestPki } from './tls';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
type KafkaTool = typeof import('../../../../tools/dev-infra/lib/kafka');
const loadTool = createRequire(__filename);

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface SecureKafka {
  /** The SASL_SSL listener, `127.0.0.1:<port>`: TLS with client certificates required, then SASL. */
  secureBrokers: string;
  /** The same broker's PLAINTEXT listener (inter-broker traffic and the readiness probe use it). */
  plaintextBrokers: string;
  pki: TestPki;
  /** One user per mechanism, with its password. */
  users: Record<SaslMechanism, { username: string; password: string }>;
  /**
   * The Herald settings that reach the SASL_SSL listener as `mechanism`'s user, with the test
   * CA and a client certificate: KAFKA_BROKERS, KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE,
   * KAFKA_SSL_KEY_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD.
   */
  env(mechanism?: SaslMechanism): Record<string, string>;
  /** Stops the broker (by its pid) and removes its state and certificates. */
  stop(): Promise<void>;
}

/**
 * A Kafka broker of the test's own — never the shared one — with a SASL_SSL listener beside its
 * PLAINTEXT one: certificates made by openssl (makeTestPki), PLAIN, SCRAM-SHA-256 and
 * SCRAM-SHA-512 users with random passwords (the SCRAM ones written into the metadata log when
 * the storage is formatted, as `kafka-storage format --add-scram` does), in a temporary state
 * directory, on free ports. About 20–40 s to start on a busy 2-core machine.
 */
export async function startSecureKafka(): Promise<SecureKafka> {
  const kafka = loadTool(path.join(ROOT, 'tools', 'dev-infra', 'lib', 'kafka.js')) as KafkaTool;
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-secure-kafka-'));
  const stateDir = path.join(dir, 'state');
  mkdirSync(path.join(dir, 'pki'));
  mkdirSync(stateDir);
  const pki = makeTestPki(path.join(dir, 'pki'));
  const secret = () => randomBytes(12).toString('hex');
  const users: SecureKafka['users'] = {
    plain: { username: 'herald-plain', password: secret() },
    'scram-sha-256': { username: 'herald-256', password: secret() },
    'scram-sha-512': { username: 'herald', password: secret() },
  };
  const [port, controllerPort, securePort] = [await freePort(), await freePort(), await freePort()];
  const quiet = Object.assign((_line: string) => undefined, {
    warn: () => undefined,
    error: () => undefined,
  });
  try {
    await kafka.ensureKafka({
      log: process.env['HERALD_TEST_ECHO'] === '1' ? undefined : quiet,
      stateDir,
      port,
      controllerPort,
      heap: '-Xmx384m',
      secure: {
        port: securePort,
        keyStoreFile: pki.serverKeyStoreFile,
        trustStoreFile: pki.caFile,
        clientAuth: 'required',
        plainUsers: { [users.plain.username]: users.plain.password },
      },
      scramUsers: [
        { mechanism: 'SCRAM-SHA-256', ...users['scram-sha-256'] },
        { mechanism: 'SCRAM-SHA-512', ...users['scram-sha-512'] },
      ],
    });
  } catch (err) {
    await kafka.stopKafka({ log: quiet, stateDir }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const secureBrokers = `127.0.0.1:${securePort}`;
  return {
    secureBrokers,
    plaintextBrokers: `127.0.0.1:${port}`,
    pki,
    users,
    env: (mechanism = 'scram-sha-512') => ({
      KAFKA_BROKERS: secureBrokers,
      KAFKA_SSL_CA_FILE: pki.caFile,
      KAFKA_SSL_CERT_FILE: pki.clientCertFile,
      KAFKA_SSL_KEY_FILE: pki.clientKeyFile,
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: users[mechanism].username,
      KAFKA_SASL_PASSWORD: users[mechanism].password,
    }),
    stop: async () => {
      await kafka.stopKafka({ log: quiet, stateDir });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
