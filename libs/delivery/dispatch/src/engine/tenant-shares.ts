export interface TenantShareSettings {
  /** HTTP attempts one tenant may have in flight across every hook and origin (a share of `maxInFlight`). */
  maxInFlightPerTenant: number;
  /** HTTP attempts one tenant may have in flight to one receiver origin (a share of the origin's connections). */
  connectionsPerOriginPerTenant: number;
}

/** A counting semaphore, its waiters served in order. */
class Share {
  used = 0;
  readonly waiters: (() => void)[] = [];

  constructor(private readonly size: number) {}

  /** Taken at once (true), or queued: `wake` is called when it is handed over. */
  take(wake: () => void): boolean {
    if (this.used < this.size) {
      this.used++;
      return true;
    }
    this.waiters.push(wake);
    return false;
  }

  /** Hands the token to the next waiter, or gives it back; true when nothing holds or waits for it any more. */
  give(): boolean {
    const next = this.waiters.shift();
    if (next) next();
    else this.used--;
    return this.used === 0;
  }
}

/** A tenant's share of the slots and its shares of each receiver origin it holds or waits for. */
interface TenantState {
  slots: Share;
  origins: Map<string, Share>;
}

/**
 * One tenant's bounded share of what every tenant shares: the engine's attempt slots
 * (`maxInFlightPerTenant` of `maxInFlight`) and a receiver origin's connections
 * (`connectionsPerOriginPerTenant` of the sender's pool for that origin). A hanging hook is held to
 * one attempt once detected, but a tenant may have 1,000 hooks: without a share, its hanging hooks
 * on one receiver host could hold that host's whole pool — every other tenant's requests to it
 * queued behind theirs — and enough of them every attempt slot.
 *
 * An attempt takes its tenant's share of the origin first, then the tenant's share, then (in
 * `AttemptRunner`) one of the overall slots; it gives them back when it ends. Always in that
 * order, so no cycle: a waiter for the tenant's share holds a token of one origin (its own), never
 * one another origin of the tenant needs; a waiter for an overall slot is within its tenant's
 * share, so one tenant never has more than its share of the attempts waiting for (or holding)
 * those slots. A tenant over its share waits in its own lanes (an attempt waiting here counts as
 * running for its hook's in-flight cap, so each lane holds at most that many): another tenant's
 * delivery is never queued behind it.
 */
export class TenantShares {
  // Keyed by the tenant id and then the origin as they are (no key built from both: a tenant id
  // may be long, and a concatenated key would be a copy of it per attempt).
  private readonly tenants = new Map<string, TenantState>();
  private readonly perTenant: number;
  private readonly perOrigin: number;

  constructor(settings: TenantShareSettings) {
    this.perTenant = Math.max(1, settings.maxInFlightPerTenant);
    this.perOrigin = Math.max(1, settings.connectionsPerOriginPerTenant);
  }

  /** Waits for the tenant's share of the origin, then of the attempt slots; resolves to the release (idempotent). */
  async acquire(tenantId: string, origin: string): Promise<() => void> {
    let t = this.tenants.get(tenantId);
    if (!t) this.tenants.set(tenantId, (t = { slots: new Share(this.perTenant), origins: new Map() }));
    let o = t.origins.get(origin);
    if (!o) t.origins.set(origin, (o = new Share(this.perOrigin)));
    const tenant = t;
    const toOrigin = o;
    // Nothing is dropped while this attempt waits: its origin's share has a waiter (or its token)
    // and the tenant has that origin, so both stay in the maps until released below.
    await new Promise<void>((r) => (toOrigin.take(r) ? r() : undefined));
    await new Promise<void>((r) => (tenant.slots.take(r) ? r() : undefined));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      tenant.slots.give();
      if (toOrigin.give()) tenant.origins.delete(origin);
      if (tenant.origins.size === 0 && this.tenants.get(tenantId) === tenant) this.tenants.delete(tenantId);
    };
  }

  /** Attempts the tenant holds (or has handed on to the overall slots) now. */
  heldBy(tenantId: string): number {
    return this.tenants.get(tenantId)?.slots.used ?? 0;
  }

  /** Attempts the tenant holds to the origin now (and those waiting for its share of the slots). */
  heldTo(tenantId: string, origin: string): number {
    return this.tenants.get(tenantId)?.origins.get(origin)?.used ?? 0;
  }

  /** Tenants holding or waiting for a share now (each is forgotten once it holds nothing). */
  get tenantsKnown(): number {
    return this.tenants.size;
  }
}

/**
 * A receiver's origin as the sender's connection pool knows it (scheme, host, port); the URL
 * itself when it does not parse (the attempt then fails on its own).
 */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
