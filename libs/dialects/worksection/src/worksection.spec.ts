import { createHash } from 'node:crypto';
import { resourceChangeFixture } from '@herald/platform/testing';
import { adminHash, coreEventTypesOf, hashMatches, queryWithoutHash, worksectionEventsOf, worksectionPayloadOf, worksectionStatusOf } from './index';

describe('worksection dialect', () => {
  it('hashes the query string without its hash parameter plus the admin key', () => {
    const q = 'action=get_webhooks&hash=abc';
    expect(queryWithoutHash(q)).toBe('action=get_webhooks');
    const expected = createHash('md5').update('action=get_webhooks' + 'KEY').digest('hex');
    expect(adminHash(q, 'KEY')).toBe(expected);
    expect(hashMatches(`action=get_webhooks&hash=${expected}`, 'KEY', expected)).toBe(true);
    expect(hashMatches('action=get_webhooks', 'OTHER', expected)).toBe(false);
    expect(queryWithoutHash('?action=add_webhook&url=https%3A%2F%2Fx&hash=1&events=post_task')).toBe('action=add_webhook&url=https%3A%2F%2Fx&events=post_task');
  });

  it('maps events to core event types and back', () => {
    const core = coreEventTypesOf(['post_task', 'close_task', 'post_project']);
    expect(core).toEqual(['task.created', 'subtask.created', 'task.completed', 'subtask.completed', 'project.created']);
    expect(worksectionEventsOf(core)).toEqual(['post_task', 'close_task', 'post_project']);
  });

  it('shows the three statuses', () => {
    expect(['disabled', 'auto-disabled', 'active', 'active-with-failures'].map(worksectionStatusOf)).toEqual([
      'disabled',
      'disabled',
      'active',
      'active_with_failures',
    ]);
  });

  it('renders the action record with new and old values', () => {
    const change = resourceChangeFixture({
      resourceId: 'k-1',
      before: { id: 'k-1', name: 'Old', priority: 1 },
      after: { id: 'k-1', name: 'New', priority: 1 },
    });
    expect(worksectionPayloadOf(change, 'task.updated')).toEqual({
      action: 'update_task',
      object: { type: 'task', id: 'k-1' },
      project: { id: 'p1' },
      user: { id: 'u1', name: 'Ann Lee', email: 'ann@example.com' },
      date: '2026-03-04T05:06:07.000Z',
      new: { name: 'New' },
      old: { name: 'Old' },
    });
    expect(worksectionPayloadOf({ ...change, resourceType: 'client' }, 'client.updated')).toBeNull();
  });
});
