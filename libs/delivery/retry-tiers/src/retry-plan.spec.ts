import { RetryTierTopics, type RetryPolicy } from '@herald/contracts';
import { exponentialSchedule, planRetry, RETRY_AFTER_MAX_MS, RETRY_SCHEDULE_ENTRY_MAX_MS, scheduledDelayMs } from './retry-plan';

const t0 = new Date('2026-05-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const tierName = (ms: number) => RetryTierTopics.find((t) => t.name.endsWith(ms < 60_000 ? `${ms / 1000}s` : `${ms / 60_000}m`))?.name;

const native: RetryPolicy = {
  scheduleMs: [5_000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000],
  maxAttempts: 7,
  maxAgeMs: 3 * 24 * 3_600_000,
  onExhausted: 'dlq',
};

describe('retry schedule', () => {
  it('waits scheduleMs[attempt-1] and repeats the last entry', () => {
    const p = { scheduleMs: [1000, 5000] };
    expect([1, 2, 3, 9].map((a) => scheduledDelayMs(p, a))).toEqual([1000, 5000, 5000, 5000]);
  });

  it('walks the native schedule through the matching tiers, then is exhausted after maxAttempts', () => {
    const plans = [1, 2, 3, 4, 5, 6, 7].map((attempt) => planRetry(native, { attempt, firstAttemptAt: t0, now: t0 }));
    expect(plans.slice(0, 6).map((p) => (p.kind === 'retry' ? [p.nextAttempt, p.delayMs, p.tierDelayMs] : p))).toEqual([
      [2, 5_000, 5_000],
      [3, 30_000, 30_000],
      [4, 120_000, 120_000],
      [5, 600_000, 600_000],
      [6, 3_600_000, 3_600_000],
      [7, 21_600_000, 21_600_000],
    ]);
    expect(plans[6]).toEqual({ kind: 'exhausted', reason: 'max_attempts', onExhausted: 'dlq' });
  });

  it('puts a delay between tiers into the largest tier not longer than it, with the exact due time', () => {
    const p = planRetry({ ...native, scheduleMs: [45_000] }, { attempt: 1, firstAttemptAt: t0, now: at(10) });
    expect(p).toMatchObject({ kind: 'retry', delayMs: 45_000, tierDelayMs: 30_000, dueAt: at(45_010) });
    if (p.kind === 'retry') expect(p.tier.name).toBe(tierName(30_000));
    const short = planRetry({ ...native, scheduleMs: [200] }, { attempt: 1, firstAttemptAt: t0, now: t0 });
    expect(short).toMatchObject({ kind: 'retry', tierDelayMs: 1_000, delayMs: 200 });
  });

  it('honours a longer Retry-After up to an hour, and never hurries for a shorter one', () => {
    const longer = planRetry(native, { attempt: 1, firstAttemptAt: t0, now: t0, retryAfterMs: 90_000 });
    expect(longer).toMatchObject({ delayMs: 90_000 });
    const shorter = planRetry(native, { attempt: 1, firstAttemptAt: t0, now: t0, retryAfterMs: 1_000 });
    expect(shorter).toMatchObject({ delayMs: 5_000 });
    const absurd = planRetry(native, { attempt: 1, firstAttemptAt: t0, now: t0, retryAfterMs: 7 * 24 * 3_600_000 });
    expect(absurd).toMatchObject({ delayMs: RETRY_AFTER_MAX_MS });
  });

  it('caps a schedule entry at 6 h (a snapshot from before the bound, asking for days)', () => {
    const days: RetryPolicy = { ...native, scheduleMs: [3 * 24 * 3_600_000], maxAgeMs: 30 * 24 * 3_600_000 };
    expect(RETRY_SCHEDULE_ENTRY_MAX_MS).toBe(6 * 3_600_000);
    expect(planRetry(days, { attempt: 1, firstAttemptAt: t0, now: t0 })).toMatchObject({ kind: 'retry', delayMs: RETRY_SCHEDULE_ENTRY_MAX_MS, dueAt: at(6 * 3_600_000) });
  });

  it('never waits beyond the policy\'s max age: a Retry-After past it ends the delivery instead', () => {
    const short: RetryPolicy = { ...native, maxAgeMs: 30 * 60_000 };
    expect(planRetry(short, { attempt: 1, firstAttemptAt: t0, now: t0, retryAfterMs: 3_599_000 })).toEqual({ kind: 'exhausted', reason: 'max_age', onExhausted: 'dlq' });
  });

  it('is exhausted when the next attempt would fall after maxAge (Procore: 12 h, then discarded)', () => {
    const procore: RetryPolicy = {
      scheduleMs: exponentialSchedule(1_000, 3_600_000),
      maxAttempts: 1_000,
      maxAgeMs: 12 * 3_600_000,
      onExhausted: 'discard',
    };
    expect(procore.scheduleMs.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(procore.scheduleMs.at(-1)).toBe(3_600_000);
    expect(planRetry(procore, { attempt: 30, firstAttemptAt: t0, now: at(10 * 3_600_000) })).toMatchObject({
      kind: 'retry',
      delayMs: 3_600_000,
    });
    expect(planRetry(procore, { attempt: 31, firstAttemptAt: t0, now: at(11.5 * 3_600_000) })).toEqual({
      kind: 'exhausted',
      reason: 'max_age',
      onExhausted: 'discard',
    });
  });

  it('runs a short test policy [1000, 1000] with 3 attempts: two retries of 1 s, then exhausted', () => {
    const p: RetryPolicy = { scheduleMs: [1000, 1000], maxAttempts: 3, maxAgeMs: 60_000, onExhausted: 'dlq' };
    expect(planRetry(p, { attempt: 1, firstAttemptAt: t0, now: t0 })).toMatchObject({ kind: 'retry', nextAttempt: 2, delayMs: 1000 });
    expect(planRetry(p, { attempt: 2, firstAttemptAt: t0, now: at(1100) })).toMatchObject({ kind: 'retry', nextAttempt: 3, dueAt: at(2100) });
    expect(planRetry(p, { attempt: 3, firstAttemptAt: t0, now: at(2200) })).toMatchObject({ kind: 'exhausted', reason: 'max_attempts' });
  });
});
