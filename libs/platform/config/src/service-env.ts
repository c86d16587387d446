import { z } from 'zod';
import { HttpEnv, KafkaEnv, LogEnv, withKafkaChecks } from './env';

/**
 * A service's settings: what every Herald service reads — its HTTP port (`defaultPort` unless
 * PORT says otherwise), logging, and Kafka (its security settings checked together) — then its
 * own `shape`.
 */
export function serviceEnv<S extends z.ZodRawShape>(defaultPort: number, shape: S) {
  const schema = z.object({ ...HttpEnv(defaultPort).shape, ...LogEnv.shape, ...KafkaEnv.shape, ...shape });
  // The Kafka settings are in `schema` (a service's own shape does not redefine them): what
  // withKafkaChecks needs, which TypeScript cannot see through the generic shape.
  return withKafkaChecks(schema as unknown as Parameters<typeof withKafkaChecks>[0]) as unknown as typeof schema;
}
