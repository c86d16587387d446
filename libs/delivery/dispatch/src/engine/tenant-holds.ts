import type { TrackedMessage } from '@herald/delivery/retry-tiers';

export interface TenantHoldSettings {
  /** Unfinished deliveries a tenant may always hold on one partition (of a topic), however slowly its attempts end. */
  pendingPerPartitionPerTenant: number;
  /** Beyond that, it holds a delivery only if what it holds there would be served within this long (ms). */
  laneMaxWaitMs: number;
  /**
   * Bytes (keys and values, as the consumer's byte bound counts them) of unfinished deliveries a
   * tenant may hold on one partition, and of its attempts running from there (`TenantShares`);
   * one delivery larger than it is held alone. None: no byte hold.
   */
  pendingBytesPerPartitionPerTenant?: number;
}

/** What a tenant holds unfinished on one topic-partition. */
interface Held {
  n: number;
  bytes: number;
}

/** The topic-partition a message came from: what the consumer pauses once it holds too many unfinished. */
export function partitionKeyOf(m: Pick<TrackedMessage, 'topic' | 'partition'>): string {
  return `${m.topic.name}:${m.partition}`;
}

/**
 * How much of a partition one tenant may hold, in deliveries and in bytes. Every delivery the engine holds is unfinished
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
 *
 * Bytes too: the consumer also pauses a partition at `maxPendingBytesPerPartition` (4 MiB), and
 * five hanging hooks' deliveries of ~900 KB (the router's cap) reach it — five deliveries, far
 * under the count floor. So a tenant may hold at most `pendingBytesPerPartitionPerTenant` bytes
 * unfinished on a partition (a quarter of the bound; one delivery larger than it alone), and its
 * attempts from there run within it (`TenantShares`: one that would go over it waits, and while
 * it waits it may be parked). Beyond it, what arrives is parked as it arrives, and what waits is
 * parked by the same trim; small deliveries (its count floor of them within the byte hold) are
 * left to the count hold, which bounds their bytes already (`DeliveryEngine.bytesToShed`).
 */
export class TenantHolds {
  /** Tenant id → topic-partition → unfinished deliveries and their bytes. */
  private readonly held = new Map<string, Map<string, Held>>();
  readonly byteHold: number;

  constructor(private readonly settings: TenantHoldSettings) {
    this.byteHold = Math.max(1, settings.pendingBytesPerPartitionPerTenant ?? Number.POSITIVE_INFINITY);
  }

  add(tenantId: string, partitionKey: string, bytes = 0): void {
    let t = this.held.get(tenantId);
    if (!t) this.held.set(tenantId, (t = new Map()));
    const h = t.get(partitionKey);
    if (h) {
      h.n++;
      h.bytes += bytes;
    } else {
      t.set(partitionKey, { n: 1, bytes });
    }
  }

  remove(tenantId: string, partitionKey: string, bytes = 0): void {
    const t = this.held.get(tenantId);
    const h = t?.get(partitionKey);
    if (!t || !h) return;
    if (h.n > 1) {
      h.n--;
      h.bytes = Math.max(0, h.bytes - bytes);
    } else if (t.delete(partitionKey) && t.size === 0) {
      this.held.delete(tenantId);
    }
  }

  count(tenantId: string, partitionKey: string): number {
    return this.held.get(tenantId)?.get(partitionKey)?.n ?? 0;
  }

  bytes(tenantId: string, partitionKey: string): number {
    return this.held.get(tenantId)?.get(partitionKey)?.bytes ?? 0;
  }

  /** The partitions where the tenant holds more than its floor (or more than one delivery and over its byte hold) now. */
  overFloor(tenantId: string): string[] {
    const out: string[] = [];
    for (const [key, h] of this.held.get(tenantId) ?? []) if (h.n > this.settings.pendingPerPartitionPerTenant || this.overBytes(h)) out.push(key);
    return out;
  }

  /**
   * Bytes the tenant holds on the partition beyond its byte hold (0: within it, or it holds one
   * delivery there, which it may however large). What of it is parked is `DeliveryEngine`'s call
   * (`bytesToShed`): the byte hold does not bend to the tenant's pace the way its count does.
   */
  bytesOver(tenantId: string, partitionKey: string): number {
    const h = this.held.get(tenantId)?.get(partitionKey);
    return h && this.overBytes(h) ? h.bytes - this.byteHold : 0;
  }

  private overBytes(h: Held): boolean {
    return h.n > 1 && h.bytes > this.byteHold;
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
