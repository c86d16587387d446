import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { describeSetupError, kafkaConnection, kafkaSettings } from './kafka-client';

const ROOT = join(__dirname, '..', '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'test' || e.name === 'testing' ? [] : sources(full);
    // Test support is not production code: specs, `test` and `testing` folders, `testing.ts` files (as in the lint rules).
    return /\.ts$/.test(e.name) && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(e.name) && e.name !== 'testing.ts' ? [full] : [];
  });
}

describe('one Kafka client factory', () => {
  it('is the only place production code constructs a kafkajs client', () => {
    const offenders = [...sources(join(ROOT, 'apps')), ...sources(join(ROOT, 'libs'))]
      .filter((f) => !f.includes(join('apps', 'e2e')) && !f.endsWith('topic-reader.ts'))
      .filter((f) => /new Kafka\s*\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(offenders).toEqual(['libs/platform/kafka/src/kafka-client.ts']);
  });

  it('maps the settings to kafkajs: SASL as given, TLS on with KAFKA_SSL=true, neither by default', () => {
    const base = { KAFKA_BROKERS: ['a:9093', 'b:9093'] };
    expect(kafkaConnection(base)).toEqual({ brokers: ['a:9093', 'b:9093'] });
    expect(kafkaConnection({ ...base, KAFKA_SSL: true })).toEqual({ brokers: base.KAFKA_BROKERS, ssl: true });
    expect(kafkaConnection({ ...base, KAFKA_SSL: false })).toEqual({ brokers: base.KAFKA_BROKERS });
    expect(
      kafkaSettings('svc', { ...base, HERALD_KAFKA_NAMESPACE: 'ns', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }),
    ).toEqual({
      clientId: 'svc',
      brokers: base.KAFKA_BROKERS,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      namespace: 'ns',
      partitionsOverride: undefined,
    });
  });

  it('calls an authentication failure (however kafkajs wraps it) a setup error, and an unreachable broker not', () => {
    const settings = { brokers: ['k:9093'], sasl: { mechanism: 'scram-sha-256' as const, username: 'svc', password: 'secret' } };
    // As kafkajs' retrier wraps a non-retriable error (its types omit the constructor arguments).
    type ErrorClass = new (e: unknown, o?: object) => Error;
    const Wrapper = KafkaJSNumberOfRetriesExceeded as unknown as ErrorClass;
    const Auth = KafkaJSSASLAuthenticationError as unknown as ErrorClass;
    const auth = new Wrapper(new Auth('SASL SCRAM SHA256 authentication failed: bad'), { retryCount: 1, retryTime: 1 });
    const line = describeSetupError(auth, settings);
    expect(line).toBe(
      'Kafka refused the SASL SCRAM-SHA-256 login of "svc" at k:9093: SASL SCRAM SHA256 authentication failed: bad (check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM)',
    );
    expect(line).not.toContain('secret');
    expect(describeSetupError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9'), settings)).toBeUndefined();
    expect(describeSetupError(new KafkaJSConnectionError('Closed connection'), settings)).toBeUndefined();
    expect(describeSetupError(Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), settings)).toMatch(
      /^TLS to Kafka at k:9093 failed: unable to verify the first certificate \(check KAFKA_SSL_CA_FILE/,
    );
  });
});
