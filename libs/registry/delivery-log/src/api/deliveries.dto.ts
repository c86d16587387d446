import { z } from 'zod';
import { DELIVERY_STATUSES, type DeliveryStatus } from '@herald/contracts';
import { MAX_DELIVERY_PAGE } from '../use-cases/search-deliveries';
import { DELIVERY_CURSOR_PATTERN } from '../cursor';
import { type ResendJob } from '../jobs/resend-job.types';
import { type DeliveryRecord, type DeliverySummary } from '../delivery-log.types';

/**
 * A list parameter: `a,b` (how the OpenAPI document has it: an array, style form, explode false)
 * or `?x=a&x=b`; every item exactly as given, so what the document allows and what is taken agree.
 */
const commaList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')));

/** NUL never reaches PostgreSQL (its text refuses it). */
// eslint-disable-next-line no-control-regex -- NUL is what this pattern is about
export const NO_NUL = /^[^\u0000]*$/;
/** An event type to filter on: printable ASCII without a comma (the list separator) or a space. */
export const EVENT_TYPE_FILTER = /^[\x21-\x2b\x2d-\x7e]+$/;

/** The earliest and latest times PostgreSQL's timestamptz and an ISO string both say alike. */
const PG_MIN = Date.parse('0001-01-01T00:00:00.000Z');
const PG_MAX = Date.parse('9999-12-31T23:59:59.999Z');
/** An RFC 3339 time as a Date PostgreSQL takes: a time beyond year 1 or 9999 (an offset can push it there) is that bound. */
const isoTime = z.iso
  .datetime({ offset: true })
  .transform((v) => new Date(Math.min(PG_MAX, Math.max(PG_MIN, Date.parse(v)))));

/** `GET /v1/webhooks/{id}/deliveries` query. Unknown parameters are a 400. */
export const DeliverySearchQuery = z
  .strictObject({
    status: commaList.pipe(z.array(z.enum(DELIVERY_STATUSES)).min(1)).optional(),
    /** The resource name is the core resource type (`task`, `project`…). */
    resourceName: z.string().min(1).max(100).regex(NO_NUL, 'must not contain NUL').optional(),
    resourceType: z.string().min(1).max(100).regex(NO_NUL, 'must not contain NUL').optional(),
    resourceId: z.string().min(1).max(200).regex(NO_NUL, 'must not contain NUL').optional(),
    eventType: commaList.pipe(z.array(z.string().max(100).regex(EVENT_TYPE_FILTER, 'printable ASCII without spaces or commas')).min(1)).optional(),
    /** A window that ends before it starts holds no delivery (an empty page, not an error). */
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_DELIVERY_PAGE).default(100),
    cursor: z.string().regex(DELIVERY_CURSOR_PATTERN, 'the nextCursor of a page (<microseconds>_<delivery id>)').optional(),
  })
  .refine((q) => !(q.resourceName && q.resourceType && q.resourceName !== q.resourceType), {
    message: 'resourceName and resourceType name the same thing: give one',
    path: ['resourceType'],
  });
export type DeliverySearchQuery = z.infer<typeof DeliverySearchQuery>;
/**
 * What a route gets once its query or body is parsed (`ParseOr400Pipe`): named apart from the
 * schema, so that a parameter's design type is not taken for the schema value of the same name.
 */
export type ParsedDeliverySearchQuery = z.infer<typeof DeliverySearchQuery>;

export const ReplayBody = z.strictObject({
  since: isoTime,
});
export type ParsedReplayBody = z.infer<typeof ReplayBody>;

export const StatsQuery = z.strictObject({
  hours: z.coerce.number().int().min(1).max(48).default(24),
  bucketMinutes: z.coerce
    .number()
    .int()
    .refine((n) => [1, 5, 10, 15, 30, 60].includes(n), 'one of 1, 5, 10, 15, 30, 60')
    .default(10),
});
export type ParsedStatsQuery = z.infer<typeof StatsQuery>;

export const JobListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ParsedJobListQuery = z.infer<typeof JobListQuery>;

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
