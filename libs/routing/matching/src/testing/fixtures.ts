import { randomUUID } from 'node:crypto';
import type { ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { subscriptionSnapshotFixture } from '@herald/platform/testing';

/** A valid snapshot with the registry's defaults; override what a test is about. */
export const subscriptionSnapshot = (over: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot => subscriptionSnapshotFixture(over);

/** A valid `task.updated` change; override what a test is about. */
export function resourceChange(over: Partial<ResourceChange> = {}): ResourceChange {
  return {
    eventId: randomUUID(),
    tenantId: 't1',
    projectId: 'p1',
    resourceType: 'task',
    resourceId: 'task-1',
    action: 'updated',
    occurredAt: new Date().toISOString(),
    initiator: { userId: 'u1', fullName: 'Ann Lee', logonAccount: 'ann@example.com' },
    before: { id: 'task-1', name: 'Draft', status: 'open', external: false },
    after: { id: 'task-1', name: 'Final', status: 'open', external: false },
    changedFields: ['name'],
    ...over,
  };
}
