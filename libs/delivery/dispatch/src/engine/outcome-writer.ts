import {
  DeliveryContract,
  DeliveryOutcomeContract,
  Headers,
  RetryTierTopics,
  Topics,
  encodeOwn,
  retryTierDelayMs,
  safeTruncate,
  traceHeaders,
  type Delivery,
  type DeliveryOutcome,
  type DeliveryStatus,
  type ErrorClass,
  type TopicSpec,
} from '@herald/contracts';
import { decodeMessage, type OutboundBatcher, type RawMessage } from '@herald/platform/kafka';
import type { AttemptResult } from '@herald/delivery/sending';
import { releaseFor } from '@herald/delivery/retry-tiers';
import type { DispatchMetrics } from '../dispatch-metrics';
import type { DeliveryDeadLetters } from './dead-letters';
import type { Entry } from './lanes';

/**
 * What a delivery's steps write, through the outbound batcher: one outcome per step to
 * `herald.delivery-outcomes.v1`, the delivery itself to a retry tier (a retry, a spill, an
 * ordered hook's pipe) with its due time, and the DLQ. Every promise resolves once Kafka
 * acknowledged the write.
 */
export class OutcomeWriter {
  constructor(
    private readonly out: Pick<OutboundBatcher, 'add'>,
    private readonly deadLetters: DeliveryDeadLetters,
    private readonly metrics: Pick<DispatchMetrics, 'deliveries'>,
  ) {}

  /** The outcome of one step; `noAttempt`: the step made no HTTP attempt (the log's attempt 0). */
  outcome(e: Pick<Entry, 'delivery' | 'trace'>, status: DeliveryStatus, r: AttemptResult, at: Date, nextAttemptAt?: Date, noAttempt = false): Promise<void> {
    const d = e.delivery;
    this.metrics.deliveries.inc({ status });
    const outcome: DeliveryOutcome = {
      deliveryId: d.deliveryId,
      eventId: d.eventId,
      subscriptionId: d.subscriptionId,
      tenantId: d.tenantId,
      eventType: d.eventType,
      resourceType: d.resourceType,
      resourceId: d.resourceId,
      status,
      attempt: noAttempt ? 0 : d.attempt,
      at: at.toISOString(),
      httpStatus: r.httpStatus ?? null,
      durationMs: r.durationMs,
      errorClass: r.errorClass ?? null,
      errorMessage: r.errorMessage === undefined ? null : safeTruncate(r.errorMessage, 1000),
      responseExcerpt: r.responseExcerpt ?? null,
      nextAttemptAt: nextAttemptAt?.toISOString() ?? null,
      occurredAt: d.occurredAt,
      routedAt: d.routedAt,
      origin: d.origin,
    };
    return this.out.add(Topics.DeliveryOutcomes, encodeOwn(DeliveryOutcomeContract, outcome, { trace: e.trace }));
  }

  /**
   * A delivery the broker refused to take (to a retry tier, a pipe: too large), which the
   * outbound batcher dead-lettered alone: it will not be tried again, so the log says `failed`
   * with the reason. Other topics' messages are not deliveries: nothing to say.
   */
  refusedByBroker(topic: TopicSpec, message: RawMessage, reason: string): Promise<void> | undefined {
    if (topic !== Topics.Deliveries && !RetryTierTopics.includes(topic)) return undefined;
    const decoded = decodeMessage(DeliveryContract, {
      key: Buffer.from(message.key),
      value: message.value === null ? null : Buffer.from(message.value),
    });
    if (decoded.kind !== 'value') return undefined;
    const result: AttemptResult = { ok: false, durationMs: 0, errorClass: 'invalid', errorMessage: `not retried: ${reason}` };
    return this.outcome({ delivery: decoded.value, trace: traceHeaders(message.headers) }, 'failed', result, new Date(), undefined, true);
  }

  /**
   * The delivery to a retry tier, due at `dueAt` (epoch ms, `herald-due-at`), handed over by the
   * tier at `releaseAt` (`herald-release-at`; by default when due, or after the tier's own delay
   * if that comes first — the rest of the wait is then served by hopping).
   */
  forward(topic: TopicSpec, d: Delivery, dueAt: number, trace: Record<string, string>, releaseAt = releaseFor(dueAt, retryTierDelayMs(topic) ?? 0)): Promise<void> {
    const headers = { [Headers.DueAt]: String(dueAt), [Headers.ReleaseAt]: String(Math.min(releaseAt, dueAt)) };
    return this.out.add(topic, encodeOwn(DeliveryContract, d, { trace, headers }));
  }

  /**
   * Ends a delivery without an HTTP attempt (deleted or inactive hook, expired behind an
   * ordered head): its outcome, the DLQ when asked; then it is finished.
   */
  async endWithoutAttempt(e: Entry, status: DeliveryStatus, errorClass: ErrorClass, message: string, toDlq = false): Promise<void> {
    const result: AttemptResult = { ok: false, durationMs: 0, errorClass, errorMessage: message };
    await Promise.all([
      this.outcome(e, status, result, new Date(), undefined, true),
      toDlq ? this.deadLetters.delivery(e, message, errorClass, 'exhausted') : undefined,
    ]);
    e.finish();
  }
}
