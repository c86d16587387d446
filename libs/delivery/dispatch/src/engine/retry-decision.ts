import { DEFAULT_RETRY_POLICY, type Delivery, type TopicSpec } from '@herald/contracts';
import type { AttemptResult } from '@herald/delivery/sending';
import { planRetry } from '@herald/delivery/retry-tiers';
import type { Endpoint } from '../endpoint-directory';

export type AfterFailure =
  /** Try again: `next` (attempt + 1, firstAttemptAt set) goes to `tier`, due at `dueAt`. */
  | { kind: 'retry'; next: Delivery; tier: TopicSpec; dueAt: number }
  /**
   * The end of the line: `failed` into the DLQ or `discarded`, per the policy's `onExhausted`.
   * `expired`: ended by max age (an ordered hook's queued deliveries end with it).
   */
  | {
      kind: 'end';
      status: 'failed' | 'discarded';
      toDlq: boolean;
      /** For the DLQ reason. */
      why: string;
      /** The DLQ metric's reason. */
      label: 'unsubscribed' | 'exhausted';
      expired: boolean;
    };

/**
 * What follows a failed attempt under the hook's retry and failure policies. A receiver status
 * in `failurePolicy.unsubscribeOn` ends it at once; otherwise `planRetry` decides (schedule,
 * `Retry-After`, max attempts, max age). A hook that cannot be read (`endpoint` null) is
 * retried under `DEFAULT_RETRY_POLICY`.
 */
export function decideAfterFailure(d: Delivery, endpoint: Endpoint | null, result: AttemptResult, startedAt: Date, now = new Date()): AfterFailure {
  const firstAttemptAt = d.firstAttemptAt ? new Date(d.firstAttemptAt) : startedAt;
  const policy = endpoint?.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const unsubscribed = endpoint !== null && result.httpStatus !== undefined && endpoint.failurePolicy.unsubscribeOn.includes(result.httpStatus);
  const plan = unsubscribed
    ? ({ kind: 'exhausted', reason: 'max_attempts', onExhausted: policy.onExhausted } as const)
    : planRetry(policy, { attempt: d.attempt, firstAttemptAt, now, retryAfterMs: result.retryAfterMs });
  if (plan.kind === 'retry') {
    return {
      kind: 'retry',
      next: { ...d, attempt: plan.nextAttempt, firstAttemptAt: firstAttemptAt.toISOString() },
      tier: plan.tier,
      dueAt: plan.dueAt.getTime(),
    };
  }
  const toDlq = plan.onExhausted === 'dlq';
  return {
    kind: 'end',
    status: toDlq ? 'failed' : 'discarded',
    toDlq,
    why: unsubscribed ? `the receiver answered ${result.httpStatus}, which ends the subscription` : `retries exhausted (${plan.reason})`,
    label: unsubscribed ? 'unsubscribed' : 'exhausted',
    expired: plan.reason === 'max_age',
  };
}
