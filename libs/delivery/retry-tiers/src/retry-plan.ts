import { RETRY_AFTER_MAX_MS, RETRY_SCHEDULE_ENTRY_MAX_MS, retryTierFor, type RetryPolicy, type TopicSpec } from '@herald/contracts';

export { RETRY_AFTER_MAX_MS, RETRY_SCHEDULE_ENTRY_MAX_MS } from '@herald/contracts';

export interface FailedAttempt {
  /** The attempt that just failed (1 = first). */
  attempt: number;
  /** When attempt 1 was made (the policy's max age counts from it). */
  firstAttemptAt: Date;
  now: Date;
  /** The receiver asked to wait this long (`Retry-After`). */
  retryAfterMs?: number;
}

export type RetryPlan =
  | { kind: 'retry'; nextAttempt: number; delayMs: number; dueAt: Date; tier: TopicSpec; tierDelayMs: number }
  | { kind: 'exhausted'; reason: 'max_attempts' | 'max_age'; onExhausted: RetryPolicy['onExhausted'] };

/**
 * The scheduled wait after attempt `attempt` failed: `scheduleMs[attempt-1]`, the last entry
 * repeating, at most `RETRY_SCHEDULE_ENTRY_MAX_MS` (6 h; the registry refuses longer entries, a
 * snapshot written before that bound is capped here).
 */
export function scheduledDelayMs(policy: Pick<RetryPolicy, 'scheduleMs'>, attempt: number): number {
  const s = policy.scheduleMs;
  return Math.min(s[Math.min(Math.max(attempt, 1), s.length) - 1], RETRY_SCHEDULE_ENTRY_MAX_MS);
}

/**
 * What happens after a failed attempt under a subscription's retry policy:
 * - no attempt is left (`maxAttempts`) → exhausted;
 * - the wait is the schedule's (an entry at most `RETRY_SCHEDULE_ENTRY_MAX_MS`, 6 h), stretched to
 *   the receiver's `Retry-After` when that asks for longer (never more than `RETRY_AFTER_MAX_MS`,
 *   1 h; a shorter one never hurries us);
 * - a next attempt that would fall after `firstAttemptAt + maxAgeMs` → exhausted (Procore:
 *   discarded after 12 h of failure);
 * - else the delivery goes to the retry tier for that wait (the largest tier not longer than it),
 *   with its exact due time; the tier hands it over after its own delay at the latest and the
 *   rest of the wait is served by hopping (`releaseFor`).
 */
export function planRetry(policy: RetryPolicy, failed: FailedAttempt): RetryPlan {
  if (failed.attempt >= policy.maxAttempts) return { kind: 'exhausted', reason: 'max_attempts', onExhausted: policy.onExhausted };
  const scheduled = scheduledDelayMs(policy, failed.attempt);
  const asked = failed.retryAfterMs !== undefined ? Math.min(failed.retryAfterMs, RETRY_AFTER_MAX_MS) : 0;
  const delayMs = Math.max(scheduled, asked);
  const dueAt = new Date(failed.now.getTime() + delayMs);
  if (dueAt.getTime() > failed.firstAttemptAt.getTime() + policy.maxAgeMs) {
    return { kind: 'exhausted', reason: 'max_age', onExhausted: policy.onExhausted };
  }
  const { spec, tierDelayMs } = retryTierFor(delayMs);
  return { kind: 'retry', nextAttempt: failed.attempt + 1, delayMs, dueAt, tier: spec, tierDelayMs };
}

/** Procore-style exponential schedule: `fromMs`, doubling, capped at `capMs` (the last entry repeats). */
export function exponentialSchedule(fromMs: number, capMs: number): number[] {
  const out: number[] = [];
  for (let d = fromMs; d < capMs; d *= 2) out.push(d);
  out.push(capMs);
  return out;
}
