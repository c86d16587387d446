import { databaseUrlFor, kafkaNamespaceName, randomSuffix, sanitizeLabel, testDatabaseName } from './names';

describe('names', () => {
  it('randomSuffix is lower-case alphanumeric of the asked length, and varies', () => {
    const a = randomSuffix();
    expect(a).toMatch(/^[a-z0-9]{8}$/);
    expect(randomSuffix(12)).toHaveLength(12);
    expect(new Set(Array.from({ length: 50 }, () => randomSuffix())).size).toBe(50);
  });

  it('sanitizeLabel keeps letters and digits, folds the rest into one separator, trims', () => {
    expect(sanitizeLabel('Domain API / http', 40, '_')).toBe('domain_api_http');
    expect(sanitizeLabel('--outbox..relay--', 40, '-')).toBe('outbox-relay');
    expect(sanitizeLabel('ÄÖÜ', 40, '_')).toBe('x');
    expect(sanitizeLabel('abcdefghij', 4, '-')).toBe('abcd');
    expect(sanitizeLabel('ab-cdef', 3, '-')).toBe('ab');
  });

  it('testDatabaseName is t_<label>_<suffix>, a valid identifier of at most 63 characters', () => {
    expect(testDatabaseName('Outbox relays', 'abc123')).toBe('t_outbox_relays_abc123');
    const long = testDatabaseName('x'.repeat(200));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^t_x+_[a-z0-9]{8}$/);
    expect(testDatabaseName('a-b')).toMatch(/^[a-z_][a-z0-9_]*$/);
  });

  it('kafkaNamespaceName is t-<label>-<suffix>, at most 40 characters, valid for HERALD_KAFKA_NAMESPACE', () => {
    expect(kafkaNamespaceName('kafka lib', 'abc123')).toBe('t-kafka-lib-abc123');
    const long = kafkaNamespaceName('y'.repeat(100));
    expect(long.length).toBeLessThanOrEqual(40);
    expect(long).toMatch(/^[a-zA-Z0-9._-]{1,60}$/);
  });

  it('databaseUrlFor swaps the database and keeps server, credentials and parameters', () => {
    expect(databaseUrlFor('postgres://herald:herald@127.0.0.1:54329/herald', 't_a_1')).toBe('postgres://herald:herald@127.0.0.1:54329/t_a_1');
    expect(databaseUrlFor('postgresql://u:p%40ss@db:5432/x?sslmode=disable', 't_b')).toBe('postgresql://u:p%40ss@db:5432/t_b?sslmode=disable');
  });
});
