import { z } from 'zod';

/** The delivery log's settings, read from the registry's environment. */
export const DeliveryLogEnv = z.object({
  /** Days of delivery history kept; whole day partitions older than this are dropped. */
  HERALD_DELIVERY_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(28),
  /** Day partitions created ahead of today, so a clock step or a slow job never finds none. */
  HERALD_DELIVERY_LOG_DAYS_AHEAD: z.coerce.number().int().min(1).max(60).default(3),
  /** How often the partition job runs (it also runs at start-up). */
  HERALD_DELIVERY_LOG_MAINTENANCE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(3_600_000),
});
export type DeliveryLogEnvShape = z.infer<typeof DeliveryLogEnv>;

export interface DeliveryLogSettings {
  retentionDays: number;
  daysAhead: number;
  maintenanceIntervalMs: number;
}

export const DELIVERY_LOG_SETTINGS = Symbol('DELIVERY_LOG_SETTINGS');

export function deliveryLogSettings(env: DeliveryLogEnvShape): DeliveryLogSettings {
  return {
    retentionDays: env.HERALD_DELIVERY_LOG_RETENTION_DAYS,
    daysAhead: env.HERALD_DELIVERY_LOG_DAYS_AHEAD,
    maintenanceIntervalMs: env.HERALD_DELIVERY_LOG_MAINTENANCE_INTERVAL_MS,
  };
}
