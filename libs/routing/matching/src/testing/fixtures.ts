import type { ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { resourceChangeFixture, subscriptionSnapshotFixture } from '@herald/platform/testing';

/** A valid snapshot with the registry's defaults; override what a test is about. */
export const subscriptionSnapshot = (over: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot => subscriptionSnapshotFixture(over);

/** A valid `task.updated` change; override what a test is about. */
export function resourceChange(over: Partial<ResourceChange> = {}): ResourceChange {
  return resourceChangeFixture({
    occurredAt: new Date().toISOString(),
    before: { id: 'task-1', name: 'Draft', status: 'open', external: false },
    after: { id: 'task-1', name: 'Final', status: 'open', external: false },
    ...over,
  });
}
