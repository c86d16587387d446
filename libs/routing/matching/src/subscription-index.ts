import type { ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { ROUTABLE_STATUSES, eventTypeKeysOf, passesFilters, projectOf } from './match';

/** Something that answers "which subscriptions receive this change". */
export interface SubscriptionMatcher {
  match(change: ResourceChange): SubscriptionSnapshot[];
}

type Bucket = Map<string, SubscriptionSnapshot>;

/** Tenant-wide subscriptions sit under this scope key; project-scoped ones under their project ids. */
const WHOLE_TENANT = '';

/**
 * Routable subscriptions indexed by tenant, then by (event-type key × scope key): event-type keys
 * are `task.created`, `task.*` and `*`; scope keys are the whole tenant or one project id. A
 * lookup touches at most six buckets of the change's tenant, so matching costs what the
 * candidates cost, not what all subscriptions do (10,000 project hooks of one tenant do not slow
 * down a change in another project). Disabled and auto-disabled subscriptions are not indexed.
 */
export class SubscriptionIndex implements SubscriptionMatcher {
  private readonly byId = new Map<string, SubscriptionSnapshot>();
  private readonly byTenant = new Map<string, Map<string, Bucket>>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): SubscriptionSnapshot | undefined {
    return this.byId.get(id);
  }

  upsert(sub: SubscriptionSnapshot): void {
    this.remove(sub.id);
    if (!ROUTABLE_STATUSES.has(sub.status)) return;
    this.byId.set(sub.id, sub);
    let tenant = this.byTenant.get(sub.tenantId);
    if (!tenant) this.byTenant.set(sub.tenantId, (tenant = new Map()));
    for (const key of bucketKeysOf(sub)) {
      let bucket = tenant.get(key);
      if (!bucket) tenant.set(key, (bucket = new Map()));
      bucket.set(sub.id, sub);
    }
  }

  remove(id: string): void {
    const held = this.byId.get(id);
    if (!held) return;
    this.byId.delete(id);
    const tenant = this.byTenant.get(held.tenantId);
    if (!tenant) return;
    for (const key of bucketKeysOf(held)) {
      const bucket = tenant.get(key);
      bucket?.delete(id);
      if (bucket?.size === 0) tenant.delete(key);
    }
    if (tenant.size === 0) this.byTenant.delete(held.tenantId);
  }

  /** Subscriptions of the change's tenant listening to its event type in its scope (before the filters). */
  candidates(
    change: Pick<
      ResourceChange,
      'tenantId' | 'resourceType' | 'action' | 'projectId' | 'resourceId'
    >,
  ): SubscriptionSnapshot[] {
    const tenant = this.byTenant.get(change.tenantId);
    if (!tenant) return [];
    const project = projectOf(change);
    const scopes = project === null ? [WHOLE_TENANT] : [WHOLE_TENANT, project];
    const buckets: Bucket[] = [];
    for (const type of eventTypeKeysOf(change)) {
      for (const scope of scopes) {
        const bucket = tenant.get(bucketKey(type, scope));
        if (bucket) buckets.push(bucket);
      }
    }
    if (buckets.length === 0) return [];
    if (buckets.length === 1) return [...buckets[0].values()];
    const out = new Map<string, SubscriptionSnapshot>();
    for (const b of buckets) for (const [id, sub] of b) out.set(id, sub);
    return [...out.values()];
  }

  match(change: ResourceChange): SubscriptionSnapshot[] {
    return this.candidates(change).filter((sub) => passesFilters(sub, change));
  }
}

function bucketKey(eventTypeKey: string, scopeKey: string): string {
  return `${eventTypeKey}\u0000${scopeKey}`;
}

function bucketKeysOf(sub: SubscriptionSnapshot): Set<string> {
  const scopes =
    sub.scope.kind === 'tenant'
      ? [WHOLE_TENANT]
      : sub.scope.kind === 'project'
        ? [sub.scope.projectId]
        : sub.scope.projectIds;
  const keys = new Set<string>();
  for (const type of sub.eventTypes) for (const scope of scopes) keys.add(bucketKey(type, scope));
  return keys;
}
