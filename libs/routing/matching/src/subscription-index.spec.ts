import { SubscriptionIndex } from './subscription-index';
import { matchesChange } from './match';
import { resourceChange, subscriptionSnapshot } from './testing/fixtures';

describe('SubscriptionIndex', () => {
  const ids = (index: SubscriptionIndex, change = resourceChange()) =>
    index
      .match(change)
      .map((s) => s.id)
      .sort();
  /** The ids the index offers for a change before matching (sorted). */
  const candidateIds = (index: SubscriptionIndex, change: ReturnType<typeof resourceChange>) =>
    index
      .candidates(change)
      .map((s) => s.id)
      .sort();

  it('matches by tenant and event type: exact, <resource>.* and *', () => {
    const index = new SubscriptionIndex();
    index.upsert(subscriptionSnapshot({ id: 'exact', eventTypes: ['task.updated'] }));
    index.upsert(subscriptionSnapshot({ id: 'wild', eventTypes: ['*'] }));
    index.upsert(subscriptionSnapshot({ id: 'typewild', eventTypes: ['task.*'] }));
    index.upsert(subscriptionSnapshot({ id: 'both', eventTypes: ['task.updated', '*'] }));
    index.upsert(subscriptionSnapshot({ id: 'other-type', eventTypes: ['task.created'] }));
    index.upsert(subscriptionSnapshot({ id: 'other-tenant', tenantId: 't2' }));
    expect(ids(index)).toEqual(['both', 'exact', 'typewild', 'wild']);
    expect(index.candidates(resourceChange({ tenantId: 't3' }))).toEqual([]);
  });

  it('indexes only active and active-with-failures, and follows status changes and removals', () => {
    const index = new SubscriptionIndex();
    const sub = subscriptionSnapshot({ id: 's', status: 'disabled' });
    index.upsert(sub);
    expect(ids(index)).toEqual([]);
    index.upsert({ ...sub, status: 'active-with-failures', version: 2 });
    expect(ids(index)).toEqual(['s']);
    index.upsert({ ...sub, status: 'auto-disabled', version: 3 });
    expect(ids(index)).toEqual([]);
    index.upsert({ ...sub, status: 'active', eventTypes: ['task.created'], version: 4 });
    expect(ids(index)).toEqual([]);
    expect(
      ids(index, resourceChange({ action: 'created', before: null, changedFields: [] })),
    ).toEqual(['s']);
    index.remove('s');
    expect(index.size).toBe(0);
    expect(
      ids(index, resourceChange({ action: 'created', before: null, changedFields: [] })),
    ).toEqual([]);
  });

  it('touches only the candidates of the tenant and type, however many others there are', () => {
    const index = new SubscriptionIndex();
    for (let i = 0; i < 20_000; i++) {
      index.upsert(
        subscriptionSnapshot({
          id: `noise-${i}`,
          tenantId: `t-${i % 500}`,
          eventTypes: ['task.created'],
        }),
      );
    }
    index.upsert(
      subscriptionSnapshot({ id: 'mine', tenantId: 'quiet', eventTypes: ['task.updated'] }),
    );
    expect(index.candidates(resourceChange({ tenantId: 'quiet' })).map((s) => s.id)).toEqual([
      'mine',
    ]);
    expect(index.candidates(resourceChange({ tenantId: 't-7' }))).toEqual([]);
  });

  it('indexes project scopes too: 10,000 hooks on other projects of the tenant are not even candidates', () => {
    const index = new SubscriptionIndex();
    for (let i = 0; i < 10_000; i++) {
      index.upsert(
        subscriptionSnapshot({ id: `p-${i}`, scope: { kind: 'project', projectId: `other-${i}` } }),
      );
    }
    index.upsert(
      subscriptionSnapshot({ id: 'mine', scope: { kind: 'projects', projectIds: ['p1', 'p7'] } }),
    );
    index.upsert(subscriptionSnapshot({ id: 'all' }));
    expect(candidateIds(index, resourceChange({ projectId: 'p1' }))).toEqual(['all', 'mine']);
    expect(candidateIds(index, resourceChange({ projectId: 'other-5' }))).toEqual(['all', 'p-5']);
    index.upsert(
      subscriptionSnapshot({ id: 'mine', scope: { kind: 'project', projectId: 'p7' }, version: 2 }),
    );
    expect(candidateIds(index, resourceChange({ projectId: 'p1' }))).toEqual(['all']);
    index.remove('p-5');
    expect(candidateIds(index, resourceChange({ projectId: 'other-5' }))).toEqual(['all']);
  });

  it('applies the scope: tenant, a list of projects, one project (a project change is its own project)', () => {
    const index = new SubscriptionIndex();
    index.upsert(subscriptionSnapshot({ id: 'tenant' }));
    index.upsert(
      subscriptionSnapshot({ id: 'list', scope: { kind: 'projects', projectIds: ['p1', 'p2'] } }),
    );
    index.upsert(subscriptionSnapshot({ id: 'p2', scope: { kind: 'project', projectId: 'p2' } }));
    expect(ids(index)).toEqual(['list', 'tenant']);
    expect(ids(index, resourceChange({ projectId: 'p2' }))).toEqual(['list', 'p2', 'tenant']);
    expect(ids(index, resourceChange({ projectId: null }))).toEqual(['tenant']);
    const projectChange = resourceChange({
      resourceType: 'project',
      resourceId: 'p2',
      projectId: null,
    });
    expect(ids(index, projectChange)).toEqual(['list', 'p2', 'tenant']);
  });

  it('applies owner-only: only changes made by the subscription owner', () => {
    const index = new SubscriptionIndex();
    index.upsert(subscriptionSnapshot({ id: 'owner', ownerOnly: true, ownerUserId: 'u1' }));
    expect(ids(index)).toEqual(['owner']);
    expect(
      ids(index, resourceChange({ initiator: { userId: 'u2', fullName: 'B', logonAccount: 'b' } })),
    ).toEqual([]);
  });

  it('applies field filters to updates only, per resource type or *', () => {
    const index = new SubscriptionIndex();
    index.upsert(
      subscriptionSnapshot({
        id: 'details',
        fieldFilters: { task: ['name', 'dueDate'], project: ['stage'] },
      }),
    );
    index.upsert(subscriptionSnapshot({ id: 'any-status', fieldFilters: { '*': ['status'] } }));
    index.upsert(
      subscriptionSnapshot({ id: 'project-only', fieldFilters: { project: ['stage'] } }),
    );
    expect(ids(index, resourceChange({ changedFields: ['name'] }))).toEqual([
      'details',
      'project-only',
    ]);
    expect(ids(index, resourceChange({ changedFields: ['status'] }))).toEqual([
      'any-status',
      'project-only',
    ]);
    expect(ids(index, resourceChange({ changedFields: ['description'] }))).toEqual([
      'project-only',
    ]);
    const created = resourceChange({ action: 'created', before: null, changedFields: [] });
    expect(ids(index, created)).toEqual(['any-status', 'details', 'project-only']);
  });

  it('applies resource attribute filters on after, or before for a delete', () => {
    const index = new SubscriptionIndex();
    index.upsert(
      subscriptionSnapshot({ id: 'internal', resourceFilters: { task: { external: false } } }),
    );
    index.upsert(
      subscriptionSnapshot({ id: 'no-owner', resourceFilters: { task: { ownerId: null } } }),
    );
    expect(ids(index)).toEqual(['internal', 'no-owner']);
    const external = resourceChange({ after: { id: 'task-1', external: true, ownerId: 'u9' } });
    expect(ids(index, external)).toEqual([]);
    const deleted = resourceChange({
      action: 'deleted',
      after: null,
      before: { id: 'task-1', external: false },
    });
    expect(ids(index, deleted)).toEqual(['internal', 'no-owner']);
    const comment = resourceChange({ resourceType: 'comment', after: { id: 'c', external: true } });
    expect(ids(index, comment)).toEqual(['internal', 'no-owner']);
  });

  it('matchesChange is the same rule without the index', () => {
    const sub = subscriptionSnapshot({
      eventTypes: ['task.completed'],
      scope: { kind: 'project', projectId: 'p1' },
    });
    const completed = resourceChange({ action: 'completed', changedFields: ['status'] });
    expect(matchesChange(sub, completed)).toBe(true);
    expect(matchesChange(sub, resourceChange())).toBe(false);
    expect(matchesChange({ ...sub, tenantId: 'x' }, completed)).toBe(false);
    expect(matchesChange({ ...sub, status: 'disabled' }, completed)).toBe(false);
    expect(matchesChange(sub, { ...completed, projectId: 'p9' })).toBe(false);
  });
});
