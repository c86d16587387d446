import { z } from 'zod';
import { ResourceTypeSchema } from './resource-change';

/**
 * One delivery on `herald.deliveries.v1` and the retry tiers (keyed by subscription id): a change
 * rendered for one matching subscription. The dispatcher takes URL, secrets and policy from the
 * subscription's current snapshot, so a disabled or deleted hook stops at once.
 */
export const DeliverySchema = z.object({
  deliveryId: z.uuid(),
  /** The change's event id: becomes `webhook-id`, stable across retries. */
  eventId: z.string().min(1),
  subscriptionId: z.string().min(1),
  /** Snapshot version the router rendered against. */
  subscriptionVersion: z.number().int().min(1),
  tenantId: z.string().min(1),
  eventType: z.string().min(1),
  resourceType: z.union([ResourceTypeSchema, z.string().min(1)]),
  resourceId: z.string().min(1),
  projectId: z.string().nullish(),
  occurredAt: z.iso.datetime({ offset: true }),
  routedAt: z.iso.datetime({ offset: true }),
  /** The attempt this message is for (1 = first). */
  attempt: z.number().int().min(1),
  /** When attempt 1 was made (set from attempt 2 on): the retry policy's max age counts from it. */
  firstAttemptAt: z.iso.datetime({ offset: true }).nullish(),
  /** The rendered body, exactly as it will be sent and signed. */
  body: z.string(),
  contentType: z.string().default('application/json'),
  /** Non-secret headers the format asks for (secret ones come from the snapshot). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Set by `test` and redelivery so the log can tell them apart. */
  origin: z.enum(['event', 'test', 'redeliver', 'replay', 'redrive']).default('event'),
});
export type Delivery = z.infer<typeof DeliverySchema>;

export function deliveryKey(d: Pick<Delivery, 'subscriptionId'>): string {
  return d.subscriptionId;
}

export const DELIVERY_STATUSES = ['queued', 'retrying', 'delivered', 'failed', 'discarded'] as const;
export const DeliveryStatusSchema = z.enum(DELIVERY_STATUSES);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

export const ERROR_CLASSES = [
  'http_status',
  'contract',
  'timeout',
  'connection',
  'dns',
  'ssrf_refused',
  'redirect',
  'subscription_inactive',
  'subscription_gone',
  'expired',
  'invalid',
] as const;
export const ErrorClassSchema = z.enum(ERROR_CLASSES);
export type ErrorClass = z.infer<typeof ErrorClassSchema>;

/**
 * The result of one step of a delivery's life on `herald.delivery-outcomes.v1` (keyed by
 * subscription id): one outcome per attempt from the dispatcher (the log's `queued` entry, with
 * the body, is made from the delivery message itself: `queuedOutcomeOf`; the router only sends
 * a `failed` one for a delivery too large to produce). The registry keeps the log and the hook's health from these.
 */
export const DeliveryOutcomeSchema = z.object({
  deliveryId: z.uuid(),
  eventId: z.string().min(1),
  subscriptionId: z.string().min(1),
  tenantId: z.string().min(1),
  eventType: z.string().min(1),
  resourceType: z.string().min(1),
  resourceId: z.string().min(1),
  /** The delivery's status after this step. */
  status: DeliveryStatusSchema,
  attempt: z.number().int().min(0),
  at: z.iso.datetime({ offset: true }),
  httpStatus: z.number().int().nullish(),
  durationMs: z.number().min(0).nullish(),
  errorClass: ErrorClassSchema.nullish(),
  errorMessage: z.string().max(1000).nullish(),
  /** At most 4 KB of the receiver's answer. */
  responseExcerpt: z.string().max(4096).nullish(),
  nextAttemptAt: z.iso.datetime({ offset: true }).nullish(),
  /** Present on `queued`: the body that will be sent, for the delivery log. */
  body: z.string().nullish(),
  occurredAt: z.iso.datetime({ offset: true }).nullish(),
  /**
   * The delivery's `routedAt` (when it was routed or re-sent), the same on every outcome of one
   * delivery: the delivery log files the delivery under it, so whichever of its Queued entry and
   * its attempts is logged first, even at the same moment by two consumers, makes the same row.
   * Absent from older producers' outcomes (the log then uses the earliest outcome time).
   */
  routedAt: z.iso.datetime({ offset: true }).nullish(),
  origin: z.enum(['event', 'test', 'redeliver', 'replay', 'redrive']).default('event'),
});
export type DeliveryOutcome = z.infer<typeof DeliveryOutcomeSchema>;

export function deliveryOutcomeKey(o: Pick<DeliveryOutcome, 'subscriptionId'>): string {
  return o.subscriptionId;
}
