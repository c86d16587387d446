import { z } from 'zod';
import { serviceEnv } from '@herald/platform/config';
import { DEFAULT_MAX_DELIVERY_BYTES } from '@herald/routing/matching';

export const RouterConfigSchema = serviceEnv(3002, {
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
   * The largest a delivery's Kafka message (and its `queued` outcome) may be, as the broker
   * receives it: compressed with HERALD_KAFKA_COMPRESSION (gzip by default), else as it is.
   * Under the broker's max.message.bytes (1,048,588 by default) with room for a dead
   * letter's headers. A larger delivery is rendered thin (native and CloudEvents formats:
   * `data` left out, `dataOmitted: true`) or, for other formats, dead-lettered with the
   * reason and logged as failed.
   */
  HERALD_ROUTER_MAX_DELIVERY_BYTES: z.coerce.number().int().min(10_000).max(100_000_000).default(DEFAULT_MAX_DELIVERY_BYTES),
  /** Partitions of herald.resource-changes.v1 routed in parallel (order is kept within each). */
  HERALD_ROUTER_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(12),
  /**
   * Changes of one partition routed, produced and committed together at most: a crash (or an
   * evicted member) redoes at most one such part per partition, not a whole fetched batch — each
   * re-routed change is a duplicate delivery to every hook it matches. 50: a router killed while
   * it works off a backlog re-routes at most 12 × 50 changes (was 250: 589 duplicate deliveries
   * after one router's kill in a chaos run); a part costs one produce and one commit round trip.
   */
  HERALD_ROUTER_BATCH_MAX_CHANGES: z.coerce.number().int().min(1).max(100_000).default(50),
});
export type RouterConfig = z.infer<typeof RouterConfigSchema>;
