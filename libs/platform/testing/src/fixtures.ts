import { randomUUID } from 'node:crypto';
import type { RenderContext, ResourceChange, SubscriptionSnapshot } from '@herald/contracts';

/** A well-formed (not decryptable) sealed secret, for snapshots whose secrets a test never opens. */
const SEALED_PLACEHOLDER = { kid: 'k1', iv: 'aXY=', tag: 'dGFn', ct: 'Y3Q=' };

/** A valid subscription snapshot with the registry's defaults; override what a test is about. */
export function subscriptionSnapshotFixture(overrides: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot {
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
    signingSecrets: [{ secret: SEALED_PLACEHOLDER, expiresAt: null }],
    version: 1,
    updatedAt: new Date().toISOString(),
    ...overrides,
  };
}

/** A valid `task.updated` change (its name changed); override what a test is about. */
export function resourceChangeFixture(overrides: Partial<ResourceChange> = {}): ResourceChange {
  return {
    eventId: randomUUID(),
    tenantId: 't1',
    projectId: 'p1',
    resourceType: 'task',
    resourceId: 'task-1',
    action: 'updated',
    occurredAt: '2026-03-04T05:06:07.000Z',
    initiator: { userId: 'u1', fullName: 'Ann Lee', logonAccount: 'ann@example.com' },
    before: { id: 'task-1', name: 'Draft', status: 'open' },
    after: { id: 'task-1', name: 'Final', status: 'open' },
    changedFields: ['name'],
    ...overrides,
  };
}

/** What the router hands a payload renderer for `resourceChangeFixture`'s change; override what a test is about. */
export function renderContextFixture(overrides: Partial<RenderContext> = {}): RenderContext {
  return { eventType: 'task.updated', deliveryId: randomUUID(), routedAt: new Date(), publicBaseUrl: 'http://x', ...overrides };
}
