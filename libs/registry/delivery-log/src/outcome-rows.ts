import type { DeliveryOutcome } from '@herald/contracts';
import { FINAL_RANK, STATUS_RANK } from './delivery-status';

/** One delivery row to upsert: what a batch's outcomes say about that delivery, merged. */
export interface DeliveryRowInput {
  delivery_id: string;
  /**
   * The delivery's `created_at` if it is new: its `routedAt` (every outcome of one delivery
   * carries the same), else (an older producer's outcomes) the earliest outcome time.
   */
  at: string;
  updated_at: string;
  tenant_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  resource_type: string;
  resource_id: string;
  status: string;
  status_rank: number;
  origin: string;
  attempt_count: number;
  last_attempt_at: string | null;
  last_http_status: number | null;
  last_error_class: string | null;
  next_attempt_at: string | null;
  occurred_at: string | null;
  queued_at: string | null;
  body: string | null;
}

export interface AttemptRowInput {
  delivery_id: string;
  attempt: number;
  tenant_id: string;
  subscription_id: string;
  status: string;
  at: string;
  http_status: number | null;
  duration_ms: number | null;
  error_class: string | null;
  error_message: string | null;
  response_excerpt: string | null;
  next_attempt_at: string | null;
}

export interface OutcomeWrites {
  deliveries: DeliveryRowInput[];
  attempts: AttemptRowInput[];
  /** The outcome behind each attempt row, by `${deliveryId}:${attempt}`. */
  attemptOutcomes: Map<string, DeliveryOutcome>;
}

/** The attempt row an outcome (an attempt's, not `queued`) writes. */
export function attemptRow(o: DeliveryOutcome): AttemptRowInput {
  return {
    delivery_id: o.deliveryId,
    attempt: o.attempt,
    tenant_id: o.tenantId,
    subscription_id: o.subscriptionId,
    status: o.status,
    at: o.at,
    http_status: o.httpStatus ?? null,
    duration_ms: o.durationMs ?? null,
    error_class: o.errorClass ?? null,
    error_message: o.errorMessage ?? null,
    response_excerpt: o.responseExcerpt ?? null,
    next_attempt_at: o.nextAttemptAt ?? null,
  };
}

export const attemptKey = (deliveryId: string, attempt: number): string =>
  `${deliveryId.toLowerCase()}:${attempt}`;

/**
 * Folds a batch of outcomes (in any order, possibly with duplicates) into one row per delivery
 * and one per attempt. The same rules hold in the SQL that merges them with what is stored:
 * status only moves forward, the first final status wins, the first body wins, an attempt's
 * first outcome wins.
 */
export function outcomeWrites(outcomes: readonly DeliveryOutcome[]): OutcomeWrites {
  const sorted = [...outcomes].sort(
    (a, b) =>
      Date.parse(a.at) - Date.parse(b.at) ||
      a.attempt - b.attempt ||
      STATUS_RANK[a.status] - STATUS_RANK[b.status],
  );
  const deliveries = new Map<string, DeliveryRowInput>();
  const attempts = new Map<string, AttemptRowInput>();
  const attemptOutcomes = new Map<string, DeliveryOutcome>();
  /** Deliveries whose row is filed under their routedAt (not an outcome time). */
  const routed = new Set<string>();
  for (const o of sorted) {
    const rank = STATUS_RANK[o.status];
    const isAttempt = o.attempt >= 1 && o.status !== 'queued';
    let row = deliveries.get(o.deliveryId);
    if (!row) {
      row = {
        delivery_id: o.deliveryId,
        at: o.at,
        updated_at: o.at,
        tenant_id: o.tenantId,
        subscription_id: o.subscriptionId,
        event_id: o.eventId,
        event_type: o.eventType,
        resource_type: o.resourceType,
        resource_id: o.resourceId,
        status: o.status,
        status_rank: rank,
        origin: o.origin,
        attempt_count: 0,
        last_attempt_at: null,
        last_http_status: null,
        last_error_class: null,
        next_attempt_at: null,
        occurred_at: o.occurredAt ?? null,
        queued_at: null,
        body: null,
      };
      deliveries.set(o.deliveryId, row);
    } else {
      row.updated_at = o.at;
      if (rank > row.status_rank) {
        row.status = o.status;
        row.status_rank = rank;
      }
      row.occurred_at ??= o.occurredAt ?? null;
    }
    // Filed under routedAt as soon as any outcome says it (the first may be an older producer's).
    if (o.routedAt && !routed.has(o.deliveryId)) {
      routed.add(o.deliveryId);
      row.at = o.routedAt;
    }
    if (o.status === 'queued') {
      row.queued_at ??= o.at;
      row.body ??= o.body ?? null;
      // The queued outcome (from the delivery message, or a re-send) says where the delivery came from.
      row.origin = o.origin;
    } else if (row.origin === 'event' && o.origin !== 'event') {
      row.origin = o.origin;
    }
    const key = attemptKey(o.deliveryId, o.attempt);
    // An attempt's first outcome is the one that counts: a duplicate never rewrites it.
    if (isAttempt && o.attempt >= row.attempt_count && !attempts.has(key)) {
      row.attempt_count = o.attempt;
      row.last_attempt_at = o.at;
      row.last_http_status = o.httpStatus ?? null;
      row.last_error_class = o.errorClass ?? null;
      row.next_attempt_at = o.nextAttemptAt ?? null;
    }
    if (row.status_rank === FINAL_RANK) row.next_attempt_at = null;
    if (isAttempt && !attempts.has(key)) {
      attempts.set(key, attemptRow(o));
      attemptOutcomes.set(key, o);
    }
  }
  return {
    deliveries: [...deliveries.values()],
    attempts: [...attempts.values()],
    attemptOutcomes,
  };
}
