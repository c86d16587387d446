import type { TrackedMessage } from '@herald/delivery/retry-tiers';

export interface TenantHoldSettings {
  /** Unfinished deliveries a tenant may always hold on one partition (of a topic), however slowly its attempts end. */
  pendingPerPartitionPerTenant: number;
  /** Beyond that, it holds a delivery only if what it holds there would be served within this long (ms). */
  laneMaxWaitMs: number;
}

/** The topic-partition a message came from: what the consumer pauses once it holds too many unfinished. */
export function partitionKeyOf(m: Pick<TrackedMessage, 'topic' | 'partition'>): string {
  return `${m.topic.name}:${m.partition}`;
}

/**
 * How much of a partition one tenant may hold. Every delivery the engine holds is unfinished
 * until it is delivered, moved to a tier or ended: it counts against its partition's in-flight cap
 * (`maxPendingPerPartition`, at which the consumer pauses the whole partition, for every tenant
 * on it) and holds the partition's committed offset back. Lanes bound each hook, and
 * `TenantShares` a tenant's attempts; but a tenant with 1,000 hooks behind one hanging receiver
 * holds one delivery in each lane, every lane within its bound, all of them waiting for its
 * share of the slots — 1,000 unfinished on one partition, which pauses it for every other tenant.
 *
 * So a tenant may hold `pendingPerPartitionPerTenant` unfinished deliveries on a partition, and
 * more only while those would be served within `laneMaxWaitMs` at its pace: the time between two
 * of its attempts ending while others of its attempts wait for its share (`TenantShares.endGapMs`,
 * 0 while none waits) — each end lets one of them in. A busy tenant whose receivers answer keeps
 * its whole burst (its attempts end every few ms); one whose attempts do not end (hanging
 * receivers holding its share) holds its floor. What is beyond it is parked like a lane's surplus
 * (`DeliveryEngine`), unattempted, for when the tenant should have served what it holds there
 * (at most `laneMaxWaitMs` on; parked again if it still has no room).
 */
export class TenantHolds {
  /** Tenant id → topic-partition → unfinished deliveries. */
  private readonly held = new Map<string, Map<string, number>>();

  constructor(private readonly settings: TenantHoldSettings) {}

  add(tenantId: string, partitionKey: string): void {
    let t = this.held.get(tenantId);
    if (!t) this.held.set(tenantId, (t = new Map()));
    t.set(partitionKey, (t.get(partitionKey) ?? 0) + 1);
  }

  remove(tenantId: string, partitionKey: string): void {
    const t = this.held.get(tenantId);
    const n = t?.get(partitionKey);
    if (!t || n === undefined) return;
    if (n > 1) t.set(partitionKey, n - 1);
    else if (t.delete(partitionKey) && t.size === 0) this.held.delete(tenantId);
  }

  count(tenantId: string, partitionKey: string): number {
    return this.held.get(tenantId)?.get(partitionKey) ?? 0;
  }

  /** The partitions where the tenant holds more than its floor now. */
  overFloor(tenantId: string): string[] {
    const out: string[] = [];
    for (const [key, n] of this.held.get(tenantId) ?? []) if (n > this.settings.pendingPerPartitionPerTenant) out.push(key);
    return out;
  }

  /** How many unfinished deliveries the tenant may hold on one partition at a pace of `endGapMs` (see above). */
  room(endGapMs: number): number {
    const floor = this.settings.pendingPerPartitionPerTenant;
    if (endGapMs <= 0) return Number.POSITIVE_INFINITY;
    return Math.max(floor, Math.floor(this.settings.laneMaxWaitMs / endGapMs));
  }

  /** When a delivery parked now is due back: once the tenant should have served the `held` it keeps there (at most `laneMaxWaitMs` on). */
  parkUntil(held: number, endGapMs: number, now = Date.now()): number {
    return Math.ceil(now + Math.min(held * endGapMs, this.settings.laneMaxWaitMs));
  }
}
