import { z } from 'zod';
import { DEFAULT_OUTBOX_SLOT } from './outbox.constants';

/** The outbox relay's settings, for the domain-api's config schema (with DatabaseEnv and KafkaEnv). */
export const OutboxEnv = z.object({
  /** `logical` (CDC over a replication slot), `polling` (LISTEN/NOTIFY + advisory lock), or `off`. */
  HERALD_OUTBOX_RELAY: z.enum(['logical', 'polling', 'off']).default('logical'),
  /** Replication slot name; slot names are cluster-wide, so tests give each run its own. */
  HERALD_OUTBOX_SLOT: z
    .string()
    .regex(/^[a-z0-9_]{1,63}$/, 'lower-case letters, digits and _, at most 63')
    .default(DEFAULT_OUTBOX_SLOT),
  HERALD_OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  HERALD_OUTBOX_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(10_000).default(10),
});
export type OutboxConfig = z.infer<typeof OutboxEnv>;
