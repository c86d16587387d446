import { randomUUID } from 'node:crypto';
import {
  ALL_TOPICS,
  EVENT_CATALOG,
  RETRY_TIER_DELAYS_MS,
  RetryTierTopics,
  ResourceChangeSchema,
  Topics,
  eventTypeOf,
  hashApiKey,
  isKnownEventType,
  parseApiKey,
  principalKey,
  resourceChangeJsonSchema,
  resourceChangeKey,
  retryTierFor,
  retryTierDelayMs,
  topicName,
} from './index';

const valid = {
  eventId: randomUUID(),
  tenantId: 't1',
  projectId: 'p1',
  resourceType: 'task',
  resourceId: 'r1',
  action: 'completed',
  occurredAt: '2026-11-25T10:00:00.000Z',
  initiator: { userId: 'u1', fullName: 'Anna Doe', logonAccount: 'anna@example.com' },
  before: { completed: false },
  after: { completed: true },
  changedFields: ['completed'],
};

describe('contracts', () => {
  it('versions every topic name and keeps names unique', () => {
    const names = ALL_TOPICS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^herald\.[a-z.-]+(\.v\d+|\.dlq|\.retry\.\d+[smh])(\.dlq)?$/);
    expect(Topics.Subscriptions.configs['cleanup.policy']).toBe('compact');
    expect(Topics.Principals.configs['cleanup.policy']).toBe('compact');
  });

  it('applies a namespace to topic names', () => {
    expect(topicName(Topics.Deliveries)).toBe('herald.deliveries.v1');
    expect(topicName(Topics.Deliveries, 't-1')).toBe('t-1.herald.deliveries.v1');
  });

  it('keys a resource change by tenant, type and id', () => {
    expect(resourceChangeKey({ tenantId: 't', resourceType: 'task', resourceId: '9' })).toBe('t:task:9');
    expect(eventTypeOf({ resourceType: 'key_date', action: 'updated' })).toBe('key_date.updated');
  });

  it('maps a delay to the largest tier not longer than it', () => {
    expect(retryTierFor(7_000).tierDelayMs).toBe(5_000);
    expect(retryTierFor(100).tierDelayMs).toBe(RETRY_TIER_DELAYS_MS[0]);
    expect(retryTierFor(10 * 3_600_000).spec.name).toBe('herald.deliveries.retry.6h');
  });

  it('knows each retry tier\'s delay, and that the main topic has none', () => {
    expect(RetryTierTopics.map((t) => retryTierDelayMs({ ...t }))).toEqual([...RETRY_TIER_DELAYS_MS]);
    expect(retryTierDelayMs(Topics.Deliveries)).toBeUndefined();
  });

  it('keeps the delivery topics co-partitioned: the main topic and every tier have as many partitions', () => {
    for (const t of RetryTierTopics) expect(t.partitions).toBe(Topics.Deliveries.partitions);
  });

  it('accepts a valid change and names what is wrong with an invalid one', () => {
    expect(ResourceChangeSchema.safeParse(valid).success).toBe(true);
    const noAfter = ResourceChangeSchema.safeParse({ ...valid, after: null });
    expect(noAfter.success).toBe(false);
    expect(JSON.stringify(noAfter.error?.issues)).toContain('after is required');
    const badAction = ResourceChangeSchema.safeParse({ ...valid, resourceType: 'client', action: 'completed' });
    expect(badAction.success).toBe(false);
    const deleteWithoutBefore = ResourceChangeSchema.safeParse({ ...valid, action: 'deleted', before: null, after: null });
    expect(deleteWithoutBefore.success).toBe(false);
  });

  it('lists completed/reopened only for tasks and subtasks in the catalog', () => {
    expect(isKnownEventType('task.completed')).toBe(true);
    expect(isKnownEventType('subtask.reopened')).toBe(true);
    expect(isKnownEventType('client.completed')).toBe(false);
    expect(isKnownEventType('*')).toBe(true);
    expect(EVENT_CATALOG.length).toBe(11 * 3 + 2 * 2);
  });

  it('exports a JSON Schema generated from the zod schema', () => {
    const schema = resourceChangeJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(expect.arrayContaining(['eventId', 'tenantId', 'resourceType', 'action', 'changedFields']));
    expect(Object.keys(schema.properties)).toContain('initiator');
  });

  it('hashes API keys and parses their id', () => {
    const key = 'hk_abcdEFGH1234_' + 'x'.repeat(32);
    expect(parseApiKey(key)).toEqual({ keyId: 'abcdEFGH1234' });
    expect(parseApiKey('nope')).toBeNull();
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toBe(hashApiKey(key + 'y'));
    expect(
      principalKey({ kind: 'api-key', tenantId: 't', keyId: 'k', userId: 'u', hash: '0'.repeat(64), scopes: [], revokedAt: null, updatedAt: valid.occurredAt }),
    ).toBe('t:api-key:k');
  });
});
