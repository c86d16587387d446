import { randomUUID } from 'node:crypto';
import {
  FailurePolicySchema,
  RetryPolicySchema,
  ResourceChangeSchema,
  eventTypeOf,
  isKnownEventType,
  type ResourceChange,
  type SubscriptionSnapshot,
} from '@herald/contracts';
import {
  PROPROFS_DEFAULT_POLICY,
  PROPROFS_EVENTS,
  PROPROFS_EVENT_NAMES,
  ProProfsPayloadRenderer,
  ProProfsSubscribeSchema,
  describeIssues,
  proprofsHookIdOf,
  settingsOf,
  subscriptionIdOf,
} from './index';

function change(over: Partial<ResourceChange> = {}): ResourceChange {
  return ResourceChangeSchema.parse({
    eventId: randomUUID(),
    tenantId: 't1',
    projectId: null,
    resourceType: 'calendar_event',
    resourceId: '7d0c3c8e-6b0f-4c55-9d7e-3f1f5a3d2b10',
    action: 'created',
    occurredAt: '2026-01-02T03:04:05.000Z',
    initiator: { userId: 'u1', fullName: 'Anna Doe', logonAccount: 'anna.doe@company.com' },
    after: { id: 'x', title: 'Kick-off' },
    changedFields: [],
    ...over,
  });
}

const subscription = { id: 's1', payloadFormat: 'proprofs' } as SubscriptionSnapshot;
const ctx = (eventType: string) => ({
  eventType,
  deliveryId: randomUUID(),
  routedAt: new Date(),
  publicBaseUrl: 'https://api.projectbubble.test/',
});

describe('ProProfs dialect', () => {
  it('maps its seven events onto core event types that exist', () => {
    expect(PROPROFS_EVENT_NAMES.sort()).toEqual([
      'completed_subtask',
      'completed_task',
      'new_client',
      'new_event',
      'new_project',
      'new_subtask',
      'new_task',
    ]);
    for (const name of PROPROFS_EVENT_NAMES) expect(isKnownEventType(PROPROFS_EVENTS[name])).toBe(true);
    expect(PROPROFS_EVENTS.new_event).toBe('calendar_event.created');
    expect(PROPROFS_EVENTS.completed_task).toBe('task.completed');
  });

  it('gives a long numeric id per subscription and reads it back', () => {
    for (let i = 0; i < 100; i++) {
      const id = randomUUID();
      const hookId = proprofsHookIdOf(id);
      expect(hookId).toMatch(/^\d{20,39}$/);
      expect(subscriptionIdOf(hookId)).toBe(id);
    }
    expect(subscriptionIdOf('00000000000000000000000000000000000001')).toBe('00000000-0000-0000-0000-000000000001');
    expect(subscriptionIdOf('abc')).toBeNull();
    expect(subscriptionIdOf((1n << 128n).toString())).toBeNull();
  });

  it('validates the subscribe body: both fields, a known event, nothing else', () => {
    expect(settingsOf(ProProfsSubscribeSchema.parse({ target_url: 'https://yourapp.com/x', event: 'new_event' }))).toEqual({
      url: 'https://yourapp.com/x',
      eventTypes: ['calendar_event.created'],
    });
    const unknown = ProProfsSubscribeSchema.safeParse({ target_url: 'https://yourapp.com/x', event: 'new_invoice' });
    expect(unknown.success).toBe(false);
    expect(describeIssues(unknown.error!)).toContain('event must be one of completed_subtask');
    const missing = ProProfsSubscribeSchema.safeParse({ event: 'new_task' });
    expect(describeIssues(missing.error!)).toContain('target_url');
    expect(ProProfsSubscribeSchema.safeParse({ target_url: 'https://a.b/c', event: 'new_task', extra: 1 }).success).toBe(false);
  });

  it('has a default policy that states the receiver contract as settings', () => {
    expect(PROPROFS_DEFAULT_POLICY).toMatchObject({ ownerOnly: true, payloadFormat: 'proprofs', successContract: '200' });
    expect(RetryPolicySchema.parse(PROPROFS_DEFAULT_POLICY.retryPolicy).maxAttempts).toBe(3);
    expect(FailurePolicySchema.parse(PROPROFS_DEFAULT_POLICY.failurePolicy)).toEqual({
      unsubscribeOn: [401],
      unsubscribeAction: 'delete',
      autoDisableAfter: 3,
      deleteAtThreshold: true,
      countFailures: 'attempts',
    });
  });

  it('renders {"resource_url"} on the domain API\'s /v2 path of the resource (calendar events are "events")', () => {
    const renderer = new ProProfsPayloadRenderer();
    expect(renderer.formats).toEqual(['proprofs']);
    const c = change();
    const rendered = renderer.render(c, subscription, ctx(eventTypeOf(c)))!;
    expect(rendered.contentType).toBe('application/json');
    expect(JSON.parse(rendered.body)).toEqual({
      resource_url: 'https://api.projectbubble.test/v2/events/7d0c3c8e-6b0f-4c55-9d7e-3f1f5a3d2b10',
    });
    const paths = {
      'task.completed': 'tasks',
      'subtask.completed': 'subtasks',
      'client.created': 'clients',
      'project.created': 'projects',
    } as const;
    for (const [eventType, path] of Object.entries(paths)) {
      const [resourceType, action] = eventType.split('.') as [ResourceChange['resourceType'], ResourceChange['action']];
      const r = renderer.render(change({ resourceType, action, resourceId: 'r1' }), subscription, ctx(eventType))!;
      expect(JSON.parse(r.body)).toEqual({ resource_url: `https://api.projectbubble.test/v2/${path}/r1` });
    }
  });

  it('renders nothing for a change ProProfs has no event for', () => {
    const renderer = new ProProfsPayloadRenderer();
    const c = change({ action: 'updated', before: { id: 'x' }, changedFields: ['title'] });
    expect(renderer.render(c, subscription, ctx(eventTypeOf(c)))).toBeNull();
  });
});
