import type { ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { ROUTABLE_STATUSES, eventTypeKeysOf, passesFilters } from './match';

/** Something that answers "which subscriptions receive this change". */
export interface SubscriptionMatcher {
  match(change: ResourceChange): SubscriptionSnapshot[];
}

type Bucket = Map<string, SubscriptionSnapshot>;

/**
 * Routable subscriptions indexed by tenant, then by event-type key (`task.created`, `task.*`,
 * `*`), updated one snapshot at a time. A lookup touches only the tenant's buckets for the
 * change's three keys, so matching costs what the candidates cost, not what all subscriptions do.
 * Disabled and auto-disabled subscriptions are not indexed at all.
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
    for (const type of new Set(sub.eventTypes)) {
      let bucket = tenant.get(type);
      if (!bucket) tenant.set(type, (bucket = new Map()));
      bucket.set(sub.id, sub);
    }
  }

  remove(id: string): void {
    const held = this.byId.get(id);
    if (!held) return;
    this.byId.delete(id);
    const tenant = this.byTenant.get(held.tenantId);
    if (!tenant) return;
    for (const type of held.eventTypes) {
      const bucket = tenant.get(type);
      bucket?.delete(id);
      if (bucket?.size === 0) tenant.delete(type);
    }
    if (tenant.size === 0) this.byTenant.delete(held.tenantId);
  }

  /** Subscriptions of the change's tenant listening to its event type (before the filters). */
  candidates(
    change: Pick<ResourceChange, 'tenantId' | 'resourceType' | 'action'>,
  ): SubscriptionSnapshot[] {
    const tenant = this.byTenant.get(change.tenantId);
    if (!tenant) return [];
    const buckets = eventTypeKeysOf(change)
      .map((k) => tenant.get(k))
      .filter((b): b is Bucket => b !== undefined);
    if (buckets.length === 1) return [...buckets[0].values()];
    const out = new Map<string, SubscriptionSnapshot>();
    for (const b of buckets) for (const [id, sub] of b) out.set(id, sub);
    return [...out.values()];
  }

  match(change: ResourceChange): SubscriptionSnapshot[] {
    return this.candidates(change).filter((sub) => passesFilters(sub, change));
  }
}
