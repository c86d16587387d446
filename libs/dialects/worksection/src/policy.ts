import type { DialectPolicy } from '@herald/contracts';

/**
 * The core settings Worksection's receiver contract needs (a plain SubscriptionPatch): success
 * only on HTTP 200 with JSON {"status":"OK"} within 5 s; every delivery is tried once and a
 * failure counts, so 10 failed deliveries (in a row: a success resets the count) auto-disable
 * the hook (grey in Worksection's list, re-enabled by hand after the URL passes the check again).
 */
export const WORKSECTION_DEFAULT_POLICY: DialectPolicy = {
  httpVerb: 'POST',
  successContract: 'status-ok',
  timeoutMs: 5_000,
  deliveryMode: 'independent',
  retryPolicy: { scheduleMs: [60_000], maxAttempts: 1, maxAgeMs: 24 * 3_600_000, onExhausted: 'dlq' },
  failurePolicy: { unsubscribeOn: [], unsubscribeAction: 'disable', autoDisableAfter: 10, deleteAtThreshold: false, countFailures: 'attempts' },
};

/** get_webhooks statuses: grey, green, orange. */
export function worksectionStatusOf(coreStatus: string): 'disabled' | 'active' | 'active_with_failures' {
  if (coreStatus === 'active') return 'active';
  if (coreStatus === 'active-with-failures') return 'active_with_failures';
  return 'disabled';
}
