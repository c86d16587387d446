/**
 * A variable the int/e2e projects' jest globalSetup puts in the environment (DATABASE_URL,
 * KAFKA_BROKERS); a clear error when a test runs without it.
 */
export function requireEnv(name: 'DATABASE_URL' | 'KAFKA_BROKERS'): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the test through \`npm test\` or jest's int/e2e projects (their globalSetup brings up PostgreSQL and Kafka), or set ${name}`,
    );
  }
  return value;
}

/** KAFKA_BROKERS as a list. */
export function kafkaBrokers(): string[] {
  return requireEnv('KAFKA_BROKERS')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}
