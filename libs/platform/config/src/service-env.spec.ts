import { z } from 'zod';
import { ConfigError, parseConfig } from './load-config';
import { serviceEnv } from './service-env';

describe('serviceEnv', () => {
  const Schema = serviceEnv(3005, { OWN_SETTING: z.coerce.number().int().default(7) });

  it('reads what every service reads (port, logging, Kafka) and the service’s own settings, with their defaults', () => {
    expect(parseConfig(Schema, { KAFKA_BROKERS: 'k:9092' })).toEqual({
      PORT: 3005,
      LOG_LEVEL: 'info',
      NODE_ENV: 'development',
      KAFKA_BROKERS: ['k:9092'],
      HERALD_KAFKA_COMPRESSION: 'gzip',
      OWN_SETTING: 7,
    });
    expect(parseConfig(Schema, { KAFKA_BROKERS: 'k:9092', PORT: '4000', OWN_SETTING: '8' })).toMatchObject({ PORT: 4000, OWN_SETTING: 8 });
  });

  it('checks the Kafka security settings together, and names a bad own setting', () => {
    expect(() => parseConfig(Schema, { KAFKA_BROKERS: 'k:9092', KAFKA_SASL_MECHANISM: 'plain' })).toThrow(
      /KAFKA_SASL_USERNAME is missing \(required with KAFKA_SASL_MECHANISM=plain\)/,
    );
    expect(() => parseConfig(Schema, { KAFKA_BROKERS: 'k:9092', OWN_SETTING: 'x' })).toThrow(ConfigError);
    expect(() => parseConfig(Schema, { KAFKA_BROKERS: 'k:9092', OWN_SETTING: 'x' })).toThrow(/OWN_SETTING/);
  });
});
