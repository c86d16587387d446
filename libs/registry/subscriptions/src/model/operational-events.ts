import { isOperationalEventType, type OperationalEventType, type SubscriptionStatus } from '@herald/contracts';
import type { SubscriptionEntity } from '../persistence/subscription.entity';

/** A hook that subscribes to any operational event: its own health changes make none (no loop). */
export function isOperationsHook(s: Pick<SubscriptionEntity, 'eventTypes'>): boolean {
  return s.eventTypes.some(isOperationalEventType);
}

/** The operational event a status change makes, if any. */
export function operationalEventOf(before: SubscriptionStatus, after: SubscriptionStatus): OperationalEventType | null {
  if (before === after) return null;
  if (after === 'auto-disabled' || after === 'disabled') return before === 'auto-disabled' || before === 'disabled' ? null : 'hook.disabled';
  if (after === 'active-with-failures') return before === 'active' ? 'hook.failing' : null;
  if (after === 'active') return before === 'disabled' || before === 'auto-disabled' ? 'hook.enabled' : null;
  return null;
}

/** What an operational event says about the hook (the `data` of its payload). */
export interface OperationalEventData {
  hookId: string;
  url: string;
  dialect: string;
  status: SubscriptionStatus;
  previousStatus: SubscriptionStatus;
  reason: string | null;
  statusChangedAt: string;
  consecutiveFailures: number;
}

export interface OperationalEvent {
  id: string;
  tenantId: string;
  subscriptionId: string;
  type: OperationalEventType;
  occurredAt: string;
  data: OperationalEventData;
}
