import { randomUUID } from 'node:crypto';
import type { ResourceChange, SubscriptionSnapshot } from '@herald/contracts';

const enc = { kid: 'k1', iv: 'aXY=', tag: 'dGFn', ct: 'Y3Q=' };

/** A valid snapshot with the registry's defaults; override what a test is about. */
export function subscriptionSnapshot(
  over: Partial<SubscriptionSnapshot> = {},
): SubscriptionSnapshot {
  return {
    id: `sub-${randomUUID()}`,
    tenantId: 't1',
    ownerUserId: 'u1',
    dialect: 'native',
    status: 'active',
    url: 'https://receiver.example.com/hook',
    httpVerb: 'POST',
    eventTypes: ['*'],
    scope: { kind: 'tenant' },
    ownerOnly: false,
    fieldFilters: {},
    resourceFilters: {},
    payloadFormat: 'native',
    templateId: null,
    formatOptions: {},
    headers: [],
    authorization: null,
    basicAuth: null,
    successContract: '2xx',
    timeoutMs: 5_000,
    rateLimitPerSec: null,
    retryPolicy: { scheduleMs: [1_000], maxAttempts: 3, maxAgeMs: 3_600_000, onExhausted: 'dlq' },
    deliveryMode: 'independent',
    failurePolicy: {
      unsubscribeOn: [],
      unsubscribeAction: 'disable',
      autoDisableAfter: null,
      deleteAtThreshold: false,
    },
    signingSecrets: [{ secret: enc, expiresAt: null }],
    version: 1,
    updatedAt: new Date().toISOString(),
    ...over,
  };
}

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
