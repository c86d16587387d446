import { z } from 'zod';
import { DELIVERY_STATUSES, type DeliveryStatus } from '@herald/contracts';
import { MAX_DELIVERY_PAGE } from '../use-cases/search-deliveries';
import { type ResendJob } from '../jobs/resend-job.types';
import { type DeliveryRecord, type DeliverySummary } from '../delivery-log.types';

/** `a,b` or `?x=a&x=b`: one list either way. */
const commaList = z.union([z.string(), z.array(z.string())]).transform((v) =>
  (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean),
);

/** `GET /v1/webhooks/{id}/deliveries` query. Unknown parameters are a 400. */
export const DeliverySearchQuery = z
  .strictObject({
    status: commaList.pipe(z.array(z.enum(DELIVERY_STATUSES)).min(1)).optional(),
    /** The resource name is the core resource type (`task`, `project`…). */
    resourceName: z.string().min(1).max(100).optional(),
    resourceType: z.string().min(1).max(100).optional(),
    resourceId: z.string().min(1).max(200).optional(),
    eventType: commaList.pipe(z.array(z.string().min(1).max(100)).min(1)).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_DELIVERY_PAGE).default(100),
    cursor: z.string().min(1).max(500).optional(),
  })
  .refine((q) => !(q.resourceName && q.resourceType && q.resourceName !== q.resourceType), {
    message: 'resourceName and resourceType name the same thing: give one',
    path: ['resourceType'],
  })
  .refine((q) => !(q.from && q.to && Date.parse(q.from) >= Date.parse(q.to)), {
    message: '"from" must be before "to"',
    path: ['to'],
  });
export type DeliverySearchQuery = z.infer<typeof DeliverySearchQuery>;

export const ReplayBody = z.strictObject({
  since: z.iso
    .datetime({ offset: true })
    .refine((v) => Date.parse(v) <= Date.now(), 'must not be in the future'),
});

export const StatsQuery = z.strictObject({
  hours: z.coerce.number().int().min(1).max(48).default(24),
  bucketMinutes: z.coerce
    .number()
    .int()
    .refine((n) => [1, 5, 10, 15, 30, 60].includes(n), 'one of 1, 5, 10, 15, 30, 60')
    .default(10),
});

export const JobListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** A replay or redrive job as the API shows it. */
export function jobView(j: ResendJob) {
  return {
    id: j.id,
    href: `/v1/webhooks/${encodeURIComponent(j.subscriptionId)}/jobs/${j.id}`,
    subscriptionId: j.subscriptionId,
    kind: j.kind,
    state: j.state,
    since: iso(j.since),
    counts: { scanned: j.scanned, produced: j.produced, skipped: j.skipped, total: j.total },
    progress: Math.round(j.progress * 1000) / 1000,
    error: j.error,
    runs: j.runs,
    createdAt: j.createdAt.toISOString(),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
  };
}

/** Redeliver and redrive take no body; an empty object (or none) is fine, anything else is a 400. */
export const EmptyBody = z.strictObject({});

export interface DeliverySummaryView {
  id: string;
  eventId: string;
  subscriptionId: string;
  eventType: string;
  resourceName: string;
  resourceId: string;
  status: DeliveryStatus;
  origin: string;
  attemptCount: number;
  lastAttemptAt: string | null;
  lastHttpStatus: number | null;
  lastErrorClass: string | null;
  nextAttemptAt: string | null;
  occurredAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function summaryView(d: DeliverySummary): DeliverySummaryView {
  return {
    id: d.deliveryId,
    eventId: d.eventId,
    subscriptionId: d.subscriptionId,
    eventType: d.eventType,
    resourceName: d.resourceType,
    resourceId: d.resourceId,
    status: d.status,
    origin: d.origin,
    attemptCount: d.attempts,
    lastAttemptAt: iso(d.lastAttemptAt),
    lastHttpStatus: d.lastHttpStatus,
    lastErrorClass: d.lastErrorClass,
    nextAttemptAt: iso(d.nextAttemptAt),
    occurredAt: iso(d.occurredAt),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

/** One delivery with what was sent (`body` as sent, `payload` parsed when it is JSON) and every attempt. */
export function recordView(d: DeliveryRecord) {
  let payload: unknown = null;
  if (d.body !== null) {
    try {
      payload = JSON.parse(d.body);
    } catch {
      payload = null;
    }
  }
  return {
    ...summaryView(d),
    body: d.body,
    payload,
    attempts: d.attemptLog.map((a) => ({
      attempt: a.attempt,
      status: a.status,
      at: a.at.toISOString(),
      httpStatus: a.httpStatus,
      durationMs: a.durationMs,
      errorClass: a.errorClass,
      errorMessage: a.errorMessage,
      responseExcerpt: a.responseExcerpt,
      nextAttemptAt: iso(a.nextAttemptAt),
    })),
  };
}
