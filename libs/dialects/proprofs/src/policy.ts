import type { DialectPolicy, FailurePolicy, PayloadFormat, RetryPolicy } from '@herald/contracts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/**
 * The core settings behind every ProProfs hook (its receiver contract, as settings):
 * - only the subscribing key's user's changes fire (`ownerOnly`);
 * - payload `{"resource_url": …}` (`payloadFormat: proprofs`), POSTed;
 * - HTTP 200 is success (`successContract: '200'`); 401 deletes the hook at once; any other answer (204 too) is a failure that is
 *   retried, and 3 failed attempts in a row delete the hook (`autoDisableAfter: 3` with
 *   `deleteAtThreshold`, counting attempts). The three attempts of one notification are 0 s,
 *   +30 s, +2 min (Herald's retry tiers); ProProfs does not publish its own delays.
 */
export const PROPROFS_RETRY_POLICY: RetryPolicy = {
  scheduleMs: [30 * SECOND, 2 * MINUTE],
  maxAttempts: 3,
  maxAgeMs: 30 * MINUTE,
  onExhausted: 'discard',
};

export const PROPROFS_FAILURE_POLICY: FailurePolicy = {
  unsubscribeOn: [401],
  unsubscribeAction: 'delete',
  autoDisableAfter: 3,
  deleteAtThreshold: true,
  countFailures: 'attempts',
};

export const PROPROFS_PAYLOAD_FORMAT: PayloadFormat = 'proprofs';

/** ProProfs' `DialectPolicy` (the registry's CreateSubscription `dialectDefaults`). */
export const PROPROFS_DEFAULT_POLICY = {
  httpVerb: 'POST',
  ownerOnly: true,
  scope: { kind: 'tenant' },
  payloadFormat: PROPROFS_PAYLOAD_FORMAT,
  successContract: '200',
  retryPolicy: PROPROFS_RETRY_POLICY,
  failurePolicy: PROPROFS_FAILURE_POLICY,
  deliveryMode: 'independent',
} satisfies DialectPolicy;

export const PROPROFS_DIALECT = 'proprofs';
