import { randomUUID } from 'node:crypto';
import type { ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { resourceChangeFixture } from '@herald/platform/testing';
import {
  PROCORE_DEFAULT_POLICY,
  PROCORE_RESOURCES,
  companyIdOf,
  maskAuthorization,
  normalizePayloadVersion,
  parseTriggerId,
  procoreBackoff,
  procorePayloadOf,
  resourceByName,
  triggerIdOf,
  ulidOf,
  v1Hook,
  v2Hook,
} from './index';

/** `resourceChangeFixture`'s task, created, at a time with milliseconds (Procore's timestamps carry microseconds). */
const change = (over: Partial<ResourceChange> = {}): ResourceChange =>
  resourceChangeFixture({ action: 'created', occurredAt: '2026-11-25T10:00:00.123Z', before: undefined, changedFields: [], ...over });

const sub = (format: string, triggers: { resource_type: string; event_type: string }[]) =>
  ({ payloadFormat: format, formatOptions: { namespace: 'procore', triggers } }) as unknown as SubscriptionSnapshot;

describe('procore dialect', () => {
  it('derives a stable integer company id per tenant', () => {
    expect(companyIdOf('tenant-1')).toBe(companyIdOf('tenant-1'));
    expect(companyIdOf('tenant-1')).not.toBe(companyIdOf('tenant-2'));
    expect(Number.isSafeInteger(companyIdOf(randomUUID()))).toBe(true);
  });

  it('makes 26-character ULIDs whose time part is the event time', () => {
    const a = ulidOf('e1', '2026-11-25T10:00:00.000Z');
    expect(a).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a).toBe(ulidOf('e1', '2026-11-25T10:00:00.000Z'));
    expect(ulidOf('e1', '2026-11-25T10:00:01.000Z') > a).toBe(true);
  });

  it('round-trips trigger ids', () => {
    const tasks = resourceByName('tasks')!;
    const id = triggerIdOf(42, tasks, 'update');
    expect(parseTriggerId(id)).toEqual({ hookId: 42, resource: tasks, eventType: 'update' });
    expect(new Set(PROCORE_RESOURCES.flatMap((r) => (['create', 'update', 'delete'] as const).map((e) => triggerIdOf(7, r, e)))).size).toBe(
      PROCORE_RESOURCES.length * 3,
    );
  });

  it('normalizes payload versions and builds the 1 s → 1 h backoff', () => {
    expect(normalizePayloadVersion('v2')).toBe('v2.0');
    expect(normalizePayloadVersion('v4.0')).toBe('v4.0');
    expect(normalizePayloadVersion('v5')).toBeUndefined();
    expect(PROCORE_DEFAULT_POLICY).toMatchObject({ successContract: '200-or-204', deliveryMode: 'ordered', timeoutMs: 5_000 });
    expect(PROCORE_DEFAULT_POLICY.retryPolicy).toMatchObject({ maxAgeMs: 12 * 3_600_000, onExhausted: 'discard' });
    const s = procoreBackoff();
    expect(s[0]).toBe(1_000);
    expect(s[1]).toBe(2_000);
    expect(s[s.length - 1]).toBe(3_600_000);
    expect(Math.max(...s)).toBe(3_600_000);
  });

  it('renders v2.0, v3.0 and v4.0 payloads only for triggered (resource, event type)', () => {
    const c = change();
    const triggers = [{ resource_type: 'task', event_type: 'create' }];
    const v2 = procorePayloadOf(c, sub('procore-v2.0', triggers)) as unknown as Record<string, unknown>;
    expect(v2).toEqual({
      id: expect.any(Number),
      ulid: expect.stringMatching(/^[0-9A-Z]{26}$/),
      timestamp: '2026-11-25T10:00:00.123000Z',
      metadata: { source_user_id: 'u1', source_project_id: 'p1', source_operation_id: null, source_company_id: companyIdOf('t1'), source_application_id: null },
      user_id: 'u1',
      company_id: companyIdOf('t1'),
      project_id: 'p1',
      api_version: 'v2.0',
      event_type: 'create',
      resource_name: 'Tasks',
      resource_id: 'task-1',
    });
    expect(procorePayloadOf(c, sub('procore-v3.0', triggers))).toMatchObject({ api_version: 'v3.0', related_resources: [] });
    expect(procorePayloadOf(change({ resourceType: 'subtask', after: { taskId: 't-0' } }), sub('procore-v3.0', [{ resource_type: 'subtask', event_type: 'create' }]))).toMatchObject({
      related_resources: [{ id: 't-0', name: 'Tasks' }],
    });
    expect(procorePayloadOf(c, sub('procore-v4.0', triggers))).toEqual({
      id: v2['ulid'],
      timestamp: '2026-11-25T10:00:00.123000Z',
      reason: 'create',
      company_id: String(companyIdOf('t1')),
      project_id: 'p1',
      user_id: 'u1',
      resource_type: 'Tasks',
      resource_id: 'task-1',
    });
    expect(procorePayloadOf(change({ action: 'completed' }), sub('procore-v2.0', triggers))).toBeNull();
    expect(procorePayloadOf(change({ action: 'completed' }), sub('procore-v2.0', [{ resource_type: 'task', event_type: 'update' }]))).toMatchObject({ event_type: 'update' });
  });

  it('shows hooks in the v1.0 and v2.0 shapes with the Authorization masked', () => {
    const h = {
      externalId: 12,
      tenantId: 'tenant-1',
      ownerUserId: 'u-1',
      status: 'active-with-failures',
      url: 'https://x.test/h',
      scope: { kind: 'project' as const, projectId: 'p-1' },
      payloadFormat: 'procore-v3.0',
      formatOptions: { namespace: 'acme-app', triggers: [{ resource_type: 'task', event_type: 'create' }], authorizationHint: maskAuthorization('Bearer abcdefXYZ12') },
      createdAt: '2026-11-25T10:00:00.000Z',
      updatedAt: '2026-11-25T10:00:00.000Z',
    };
    expect(v1Hook(h)).toEqual({
      id: 12,
      api_version: 'v3.0',
      namespace: 'acme-app',
      destination_url: 'https://x.test/h',
      destination_headers: { Authorization: '*****XYZ12' },
      owned_by_company_id: null,
      owned_by_project_id: 'p-1',
      owned_by_user_id: 'u-1',
    });
    expect(v2Hook(h)).toMatchObject({ id: '12', status: 'active', payload_version: 'v3.0', trigger_count: 1, company_id: null, project_id: 'p-1', hook_type: 'classic' });
  });
});
