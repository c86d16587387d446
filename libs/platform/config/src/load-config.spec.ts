import { z } from 'zod';
import { DatabaseEnv, HttpEnv, KafkaEnv, OtelEnv, SsrfEnv, kafkaSecurityIssues, withKafkaChecks } from './env';
import { ConfigError, parseConfig } from './load-config';

const Schema = HttpEnv(3000).extend(KafkaEnv.shape).extend(DatabaseEnv.shape).extend(SsrfEnv.shape);

describe('parseConfig', () => {
  it('types and defaults a good environment', () => {
    const c = parseConfig(Schema, { KAFKA_BROKERS: 'a:9092, b:9093', DATABASE_URL: 'postgres://u:p@h/db' });
    expect(c.PORT).toBe(3000);
    expect(c.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(c.HERALD_SSRF_ALLOW_CIDRS).toEqual([]);
  });

  it('names every bad or missing variable on one line', () => {
    let message = '';
    try {
      parseConfig(Schema, { PORT: 'eighty', KAFKA_BROKERS: 'nohostport' });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain('PORT="eighty"');
    expect(message).toContain('KAFKA_BROKERS');
    expect(message).toContain('DATABASE_URL is missing');
  });

  it('works with any zod schema', () => {
    expect(() => parseConfig(z.object({ X: z.string() }), {})).toThrow(/X is missing/);
  });

  it('reads an empty OTLP endpoint (compose passes unset variables as "") as no export', () => {
    expect(parseConfig(OtelEnv, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(() => parseConfig(OtelEnv, { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});

describe('Kafka security settings (KafkaEnv + withKafkaChecks)', () => {
  const Kafka = withKafkaChecks(HttpEnv(3000).extend(KafkaEnv.shape));
  const base = { KAFKA_BROKERS: 'k:9093' };

  it('accepts no security (plaintext), SASL alone, and KAFKA_SSL=true alone; mechanisms in any case', () => {
    expect(parseConfig(Kafka, base)).toMatchObject({ KAFKA_BROKERS: ['k:9093'] });
    expect(parseConfig(Kafka, { ...base, KAFKA_SSL: 'true' }).KAFKA_SSL).toBe(true);
    const sasl = parseConfig(Kafka, { ...base, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
    expect(sasl).toMatchObject({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
  });

  it('names what is missing or contradictory, on one line, without showing a password', () => {
    const message = (env: Record<string, string>) => {
      try {
        parseConfig(Kafka, { ...base, ...env });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(message({ KAFKA_SASL_MECHANISM: 'scram-sha-256' })).toBe(
      'invalid configuration: KAFKA_SASL_USERNAME is missing (required with KAFKA_SASL_MECHANISM=scram-sha-256); KAFKA_SASL_PASSWORD is missing (required with KAFKA_SASL_MECHANISM=scram-sha-256)',
    );
    expect(message({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2' })).toBe(
      'invalid configuration: KAFKA_SASL_MECHANISM is missing (plain, scram-sha-256 or scram-sha-512, since KAFKA_SASL_USERNAME is set)',
    );
    expect(message({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toBe(
      'invalid configuration: KAFKA_SASL_MECHANISM="gssapi": plain, scram-sha-256 or scram-sha-512',
    );
    expect(message({ KAFKA_SSL: 'yes' })).toBe('invalid configuration: KAFKA_SSL="yes": true or false');
    const empty = message({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: '' });
    expect(empty).toContain('KAFKA_SASL_PASSWORD=(0 characters, not shown): not empty');
    expect(message({ HERALD_SECRETS_KEY: 'x' })).toBe('no error');
  });

  it('needs a client certificate and its key together, and TLS files contradict KAFKA_SSL=false', () => {
    expect(kafkaSecurityIssues({ KAFKA_SSL_CERT_FILE: '/c.pem' })).toEqual([
      { path: 'KAFKA_SSL_KEY_FILE', message: 'required with KAFKA_SSL_CERT_FILE (the client certificate needs its key)' },
    ]);
    expect(kafkaSecurityIssues({ KAFKA_SSL_KEY_FILE: '/k.pem' }).map((i) => i.path)).toEqual(['KAFKA_SSL_CERT_FILE']);
    expect(kafkaSecurityIssues({ KAFKA_SSL: false, KAFKA_SSL_CA_FILE: '/ca.pem' })).toEqual([
      { path: 'KAFKA_SSL', message: 'false, but KAFKA_SSL_CA_FILE is set (TLS files mean TLS: unset them or KAFKA_SSL)' },
    ]);
    expect(kafkaSecurityIssues({ KAFKA_SSL: true, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toEqual([]);
  });

  it('hides the value of any secret-looking variable in error lines', () => {
    expect(() => parseConfig(z.object({ HERALD_SECRETS_KEY: z.string().length(3) }), { HERALD_SECRETS_KEY: 'k1:abcdefgh' })).toThrow(
      'HERALD_SECRETS_KEY=(11 characters, not shown)',
    );
  });
});
