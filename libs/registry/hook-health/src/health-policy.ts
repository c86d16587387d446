import type {
  DeliveryOutcome,
  ErrorClass,
  FailurePolicy,
  SubscriptionStatus,
} from '@herald/contracts';

/** What the hook's health is before a batch of attempts. */
export interface HookHealthState {
  status: SubscriptionStatus;
  consecutiveFailures: number;
  failurePolicy: FailurePolicy;
}

export type HealthTransition =
  | { kind: 'none' }
  /** New status (maybe unchanged) and failure count. */
  | { kind: 'set'; status: SubscriptionStatus; consecutiveFailures: number; reason: string }
  /** The receiver asked to stop (401/410 per `unsubscribeOn`), or the threshold deletes it. */
  | {
      kind: 'unsubscribe';
      action: 'delete' | 'disable';
      reason: string;
      consecutiveFailures: number;
    }
  /** The threshold was reached: auto-disable. */
  | { kind: 'auto-disable'; reason: string; consecutiveFailures: number };

/**
 * Outcomes that say nothing about the receiver: the dispatcher did not call it because the hook
 * was disabled or deleted, the delivery had expired, or the message was invalid.
 */
const NOT_THE_RECEIVER: ReadonlySet<ErrorClass> = new Set([
  'subscription_inactive',
  'subscription_gone',
  'expired',
  'invalid',
]);

/** A failed call to the receiver (a non-success answer, or no answer at all). */
export function isReceiverFailure(o: DeliveryOutcome): boolean {
  if (o.status === 'queued' || o.status === 'delivered') return false;
  if (o.errorClass) return !NOT_THE_RECEIVER.has(o.errorClass);
  return o.httpStatus !== null && o.httpStatus !== undefined;
}

/** Whether a failed attempt counts toward `autoDisableAfter` under the policy's counting rule. */
function countsTowardThreshold(o: DeliveryOutcome, policy: FailurePolicy): boolean {
  if ((policy.countFailures ?? 'attempts') === 'attempts') return true;
  return o.status === 'failed' || o.status === 'discarded';
}

const describe = (o: DeliveryOutcome): string =>
  o.httpStatus ? `HTTP ${o.httpStatus}` : (o.errorClass ?? 'no answer');

/**
 * Folds a hook's newly logged attempts (oldest first) into one health transition:
 * - a success clears the failure count and brings active-with-failures back to active;
 * - a failed attempt makes the hook active-with-failures and, when it counts (every attempt, or
 *   only a delivery's last one with `countFailures: 'deliveries'`), adds one to the count;
 * - the count reaching `autoDisableAfter` auto-disables the hook (deletes it with `deleteAtThreshold`);
 * - a status in `unsubscribeOn` (401/410…) deletes or disables it at once (`unsubscribeAction`).
 * A disabled or auto-disabled hook is left alone: a late outcome never re-enables it.
 */
export function healthTransition(
  state: HookHealthState,
  attempts: readonly DeliveryOutcome[],
): HealthTransition {
  if (state.status === 'disabled' || state.status === 'auto-disabled') return { kind: 'none' };
  const policy = state.failurePolicy;
  let status = state.status;
  let failures = state.consecutiveFailures;
  let reason = '';
  for (const o of attempts) {
    if (o.status === 'delivered') {
      if (failures !== 0 || status !== 'active') reason = `delivery ${o.deliveryId} succeeded`;
      failures = 0;
      status = 'active';
      continue;
    }
    if (!isReceiverFailure(o)) continue;
    if (o.httpStatus && policy.unsubscribeOn.includes(o.httpStatus)) {
      return {
        kind: 'unsubscribe',
        action: policy.unsubscribeAction,
        reason: `receiver answered HTTP ${o.httpStatus} (delivery ${o.deliveryId}, attempt ${o.attempt}): unsubscribed`,
        consecutiveFailures: failures + 1,
      };
    }
    if (countsTowardThreshold(o, policy)) failures += 1;
    status = 'active-with-failures';
    const unit =
      (policy.countFailures ?? 'attempts') === 'attempts' ? 'failed attempts' : 'failed deliveries';
    reason = `${failures} consecutive ${unit} (last: ${describe(o)})`;
    if (policy.autoDisableAfter !== null && failures >= policy.autoDisableAfter) {
      const why = `${failures} consecutive ${unit} reached the limit of ${policy.autoDisableAfter} (last: ${describe(o)})`;
      return policy.deleteAtThreshold
        ? { kind: 'unsubscribe', action: 'delete', reason: why, consecutiveFailures: failures }
        : { kind: 'auto-disable', reason: why, consecutiveFailures: failures };
    }
  }
  if (status === state.status && failures === state.consecutiveFailures) return { kind: 'none' };
  return { kind: 'set', status, consecutiveFailures: failures, reason };
}
