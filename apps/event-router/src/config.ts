import { z } from 'zod';
import { HttpEnv, KafkaEnv, LogEnv, withKafkaChecks } from '@herald/platform/config';

export const RouterConfigSchema = withKafkaChecks(
  HttpEnv(3002)
    .extend(LogEnv.shape)
    .extend(KafkaEnv.shape)
    .extend({
      /** Public base URL of the domain API: resource URLs in payloads (ProProfs' `resource_url`). */
      HERALD_PUBLIC_BASE_URL: z.url().default('http://localhost:3000'),
      /** Bytes per topic in one produce request (under the broker's message.max.bytes, 1 MiB by default). */
      HERALD_ROUTER_PRODUCE_MAX_BYTES: z.coerce
        .number()
        .int()
        .min(10_000)
        .max(50_000_000)
        .default(900_000),
      /**
       * Compression of the produced deliveries and outcomes: a fan-out's bodies are alike, and
       * every `queued` outcome repeats its delivery's body, so gzip cuts what the broker moves.
       */
      HERALD_ROUTER_COMPRESSION: z.enum(['gzip', 'none']).default('gzip'),
      /** Partitions of herald.resource-changes.v1 routed in parallel (order is kept within each). */
      HERALD_ROUTER_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(12),
    }),
);
export type RouterConfig = z.infer<typeof RouterConfigSchema>;
