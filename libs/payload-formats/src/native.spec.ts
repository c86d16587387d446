import type { SubscriptionSnapshot } from '@herald/contracts';
import { renderContextFixture, resourceChangeFixture, subscriptionSnapshotFixture } from '@herald/platform/testing';
import { NativePayloadRenderer, NativePayloadSchema, nativePayloadOf, thinNativePayloadOf } from './native';

const change = resourceChangeFixture;
const sub = (payloadFormat: SubscriptionSnapshot['payloadFormat']) => subscriptionSnapshotFixture({ payloadFormat });
const ctx = renderContextFixture();

describe('native payload', () => {
  it('is Standard Webhooks style: type, timestamp, data = after + previous of the changed fields, plus ids', () => {
    const c = change();
    const rendered = new NativePayloadRenderer().render(c, sub('native'), ctx);
    expect(rendered.contentType).toBe('application/json');
    expect(JSON.parse(rendered.body)).toEqual({
      id: c.eventId,
      type: 'task.updated',
      timestamp: '2026-03-04T05:06:07.000Z',
      tenantId: 't1',
      projectId: 'p1',
      resource: { type: 'task', id: 'task-1' },
      initiator: { userId: 'u1', fullName: 'Ann Lee', logonAccount: 'ann@example.com' },
      changedFields: ['name'],
      data: { id: 'task-1', name: 'Final', status: 'open', previous: { name: 'Draft' } },
    });
  });

  it('carries the state before a delete, and no previous for a creation', () => {
    const deleted = nativePayloadOf(change({ action: 'deleted', after: null, changedFields: [] }));
    expect(deleted.type).toBe('task.deleted');
    expect(deleted.data).toEqual({ id: 'task-1', name: 'Draft', status: 'open' });
    const created = nativePayloadOf(
      change({ action: 'created', before: null, changedFields: [], projectId: null }),
    );
    expect(created.data).toEqual({ id: 'task-1', name: 'Final', status: 'open' });
    expect(created.projectId).toBeNull();
  });

  it('previous holds null for a field that had no value before', () => {
    const p = nativePayloadOf(
      change({ after: { id: 'task-1', dueDate: '2026-05-01' }, changedFields: ['dueDate'] }),
    );
    expect(p.data.previous).toEqual({ dueDate: null });
  });
});

describe('NativePayloadSchema', () => {
  it('accepts what the renderer sends for every action, and refuses a body without its envelope', () => {
    for (const c of [
      change(),
      change({ action: 'created', before: null, changedFields: [] }),
      change({ action: 'deleted', after: null, changedFields: [] }),
    ]) {
      expect(NativePayloadSchema.safeParse(nativePayloadOf(c)).success).toBe(true);
    }
    const { resource: _r, ...withoutResource } = nativePayloadOf(change());
    expect(NativePayloadSchema.safeParse(withoutResource).success).toBe(false);
  });
});

describe('thin native payload (a delivery too large to carry whole, issue 12.4)', () => {
  it('keeps the envelope, leaves data empty and says so; it validates against the schema', () => {
    const c = change({ after: { id: 'task-1', name: 'x'.repeat(1000) } });
    const renderer = new NativePayloadRenderer();
    const thin = JSON.parse(renderer.renderThin(c).body) as Record<string, unknown>;
    const { data: _data, ...envelope } = JSON.parse(renderer.render(c, sub('native'), ctx).body) as Record<string, unknown>;
    expect(thin).toEqual({ ...envelope, data: {}, dataOmitted: true });
    expect(NativePayloadSchema.safeParse(thin).success).toBe(true);
    expect(thinNativePayloadOf(c).changedFields).toEqual(['name']);
  });
});
