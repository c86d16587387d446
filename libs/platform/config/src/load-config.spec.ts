import { z } from 'zod';
import { DatabaseEnv, HttpEnv, KafkaEnv, OtelEnv, SsrfEnv } from './env';
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
