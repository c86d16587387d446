import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '@herald/contracts';
import type { AttemptResult } from '@herald/delivery/sending';
import type { Endpoint } from '../endpoint-directory';
import { decideAfterFailure } from './retry-decision';
import { deliveryFixture } from './testing';

const now = new Date('2026-12-01T12:00:00.000Z');
const failed = (over: Partial<AttemptResult> = {}): AttemptResult => ({ ok: false, durationMs: 3, httpStatus: 503, errorClass: 'http_status', ...over });
const endpoint = (retryPolicy: RetryPolicy, unsubscribeOn: number[] = [410]) =>
  ({ retryPolicy, failurePolicy: { unsubscribeOn, unsubscribeAction: 'delete', autoDisableAfter: null, deleteAtThreshold: false } }) as unknown as Endpoint;
const policy: RetryPolicy = { scheduleMs: [1_000, 30_000], maxAttempts: 4, maxAgeMs: 3_600_000, onExhausted: 'dlq' };

describe('decideAfterFailure', () => {
  it('retries with attempt + 1 in the tier of the scheduled wait, and sets firstAttemptAt on the first failure', () => {
    const d = deliveryFixture();
    const r = decideAfterFailure(d, endpoint(policy), failed(), now, now);
    expect(r).toMatchObject({ kind: 'retry', tier: { name: 'herald.deliveries.retry.1s' }, dueAt: now.getTime() + 1_000 });
    if (r.kind !== 'retry') return;
    expect(r.next).toEqual({ ...d, attempt: 2, firstAttemptAt: now.toISOString() });
  });

  it("stretches the wait to the receiver's Retry-After", () => {
    const d = deliveryFixture({ attempt: 2, firstAttemptAt: now.toISOString() });
    const r = decideAfterFailure(d, endpoint(policy), failed({ retryAfterMs: 120_000 }), now, now);
    expect(r).toMatchObject({ kind: 'retry', tier: { name: 'herald.deliveries.retry.2m' }, dueAt: now.getTime() + 120_000 });
  });

  it('ends at once on a status in unsubscribeOn', () => {
    const r = decideAfterFailure(deliveryFixture(), endpoint(policy, [401]), failed({ httpStatus: 401 }), now, now);
    expect(r).toEqual({ kind: 'end', status: 'failed', toDlq: true, why: 'the receiver answered 401, which ends the subscription', label: 'unsubscribed', expired: false });
  });

  it('ends after max attempts (DLQ) or max age (expired; discarded when the policy says so)', () => {
    expect(decideAfterFailure(deliveryFixture({ attempt: 4 }), endpoint(policy), failed(), now, now)).toMatchObject({
      kind: 'end',
      status: 'failed',
      toDlq: true,
      why: 'retries exhausted (max_attempts)',
      label: 'exhausted',
      expired: false,
    });
    const old = new Date(now.getTime() - 3_599_500).toISOString();
    expect(decideAfterFailure(deliveryFixture({ attempt: 2, firstAttemptAt: old }), endpoint({ ...policy, onExhausted: 'discard' }), failed(), now, now)).toMatchObject({
      kind: 'end',
      status: 'discarded',
      toDlq: false,
      why: 'retries exhausted (max_age)',
      expired: true,
    });
  });

  describe('a hook that cannot be read (no endpoint) is retried under DEFAULT_RETRY_POLICY', () => {
    it('first wait 5 s', () => {
      expect(DEFAULT_RETRY_POLICY.scheduleMs[0]).toBe(5_000);
      expect(decideAfterFailure(deliveryFixture(), null, failed({ httpStatus: undefined, errorClass: 'invalid' }), now, now)).toMatchObject({
        kind: 'retry',
        dueAt: now.getTime() + 5_000,
      });
    });

    it(`ends after its ${DEFAULT_RETRY_POLICY.maxAttempts} attempts, into the DLQ`, () => {
      const d = deliveryFixture({ attempt: DEFAULT_RETRY_POLICY.maxAttempts, firstAttemptAt: now.toISOString() });
      expect(decideAfterFailure(d, null, failed({ errorClass: 'invalid' }), now, now)).toMatchObject({ kind: 'end', status: 'failed', toDlq: true, expired: false });
    });

    it('ends once the next attempt would be past its max age (24 h)', () => {
      const d = deliveryFixture({ attempt: 2, firstAttemptAt: new Date(now.getTime() - DEFAULT_RETRY_POLICY.maxAgeMs).toISOString() });
      expect(decideAfterFailure(d, null, failed({ errorClass: 'invalid' }), now, now)).toMatchObject({ kind: 'end', expired: true });
    });
  });
});
