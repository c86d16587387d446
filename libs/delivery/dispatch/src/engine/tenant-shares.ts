export interface TenantShareSettings {
  /** HTTP attempts one tenant may have in flight across every hook and origin (a share of `maxInFlight`). */
  maxInFlightPerTenant: number;
  /** HTTP attempts one tenant may have in flight to one receiver origin (a share of the origin's connections). */
  connectionsPerOriginPerTenant: number;
  /**
   * Bytes of one tenant's attempts from one partition running at once (its byte hold there,
   * `TenantHolds`); one attempt larger than it runs alone. None: unbounded.
   */
  pendingBytesPerPartitionPerTenant?: number;
}

/** What an attempt weighs against its tenant's bytes running from its partition: the partition's key and the delivery's bytes. */
export interface AttemptBytes {
  partition: string;
  bytes: number;
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

  /** Withdraws a waiter not handed the token yet: false when it was (or never waited). */
  drop(wake: () => void): boolean {
    const i = this.waiters.indexOf(wake);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    return true;
  }

  /** Hands the token to the next waiter, or gives it back; true when nothing holds or waits for it any more. */
  give(): boolean {
    const next = this.waiters.shift();
    if (next) next();
    else this.used--;
    return this.used === 0;
  }
}

/**
 * A weighted semaphore, its waiters served in order: a take of `n` fits while what is taken
 * stays within the size, or when nothing is taken (one larger than the size runs alone).
 */
class ByteShare {
  used = 0;
  readonly waiters: { n: number; wake: () => void }[] = [];

  constructor(private readonly size: number) {}

  private fits(n: number): boolean {
    return this.used === 0 || this.used + n <= this.size;
  }

  /** As `Share.take`, for `n` bytes; never ahead of an earlier waiter. */
  take(wake: () => void, n = 0): boolean {
    if (this.waiters.length === 0 && this.fits(n)) {
      this.used += n;
      return true;
    }
    this.waiters.push({ n, wake });
    return false;
  }

  drop(wake: () => void): boolean {
    const i = this.waiters.findIndex((w) => w.wake === wake);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    // What waited behind it may fit now.
    this.handOn();
    return true;
  }

  /** Gives `n` back and hands on what fits now, in order. */
  give(n: number): void {
    this.used = Math.max(0, this.used - n);
    this.handOn();
  }

  private handOn(): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0].n)) {
      const next = this.waiters.shift() as { n: number; wake: () => void };
      this.used += next.n;
      next.wake();
    }
  }

  /** Nothing holds or waits for it. */
  get idle(): boolean {
    return this.used === 0 && this.waiters.length === 0;
  }
}

/** A tenant's share of the slots and its shares of each receiver origin it holds or waits for. */
interface TenantState {
  slots: Share;
  origins: Map<string, Share>;
  /** Its bytes running (or handed on to its next waits) from each partition, and the attempts waiting for them. */
  bytes: Map<string, ByteShare>;
  /** Its attempts waiting for one of its shares (or a token of an origin's pool) now. */
  waiting: number;
  /** Since when (the clock's ms) some of them wait, or when one of its attempts last ended since (whichever is later). */
  quietSince: number;
  /** The time between two of its attempts ending while some wait (moving average, ms; 0 before it is known). */
  endGapMs: number;
}

/**
 * A wait for a share that may be given up: while it waits, `cancel` withdraws it (the attempt
 * is then not sent, and whatever share it held is given back) and answers true; false once it
 * was handed its share (too late: the attempt goes on).
 */
export interface ShareWait {
  cancel?: () => boolean;
}

/**
 * One tenant's bounded share of what every tenant shares: the engine's attempt slots
 * (`maxInFlightPerTenant` of `maxInFlight`) and a receiver origin's connections
 * (`connectionsPerOriginPerTenant` of the sender's pool for that origin) — and, across tenants,
 * that pool itself (`originPool`, the sender's `connectionsPerOrigin`). A hanging hook is held to
 * one attempt once detected, but a tenant may have 1,000 hooks: without a share, its hanging hooks
 * on one receiver host could hold that host's whole pool — every other tenant's requests to it
 * queued behind theirs — and enough of them every attempt slot.
 *
 * The tenants' shares of an origin add up to more than its pool (two tenants at ¾ each): beyond
 * the pool, a request would wait inside undici for a free socket with its deadline running, and
 * time out unsent behind hanging ones. So an attempt also takes one of the origin's pool tokens,
 * and waits for it here, where the wait costs no deadline.
 *
 * An attempt takes its tenant's share of the origin first, then the tenant's share, then (once
 * it is about to run: after a rate-limit sleep) its bytes of its tenant's byte hold on its
 * partition — the consumer pauses the partition at its byte bound for every tenant, and a
 * tenant's share of the slots full of large deliveries would reach it with running attempts
 * alone, which no hold can park; one larger than the hold runs alone — then a token of the
 * origin's pool, then (in `AttemptRunner`) one of the overall slots; it gives them back when it
 * ends. Always in that order, so no cycle: a waiter for the tenant's share holds a token of one
 * origin (its own), never one another origin of the tenant needs; a waiter for its bytes holds
 * its tenant's tokens (of its origin and of the slots), which no holder of bytes waits for (it
 * holds its own); a waiter for a pool token holds
 * only its tenant's tokens (of that origin and of the slots), which no holder of a pool token
 * waits for; a waiter for an overall slot is within its tenant's share, so one tenant never has
 * more than its share of the attempts waiting for (or holding) those slots — nor more than its
 * share of the origin's pool, so another tenant's attempts there wait at most for the rest of it.
 * A tenant over its share waits in its own lanes (an attempt waiting here counts as running for
 * its hook's in-flight cap, so each lane holds at most that many): another tenant's delivery is
 * never queued behind it.
 */
export class TenantShares {
  // Keyed by the tenant id and then the origin as they are (no key built from both: a tenant id
  // may be long, and a concatenated key would be a copy of it per attempt).
  private readonly tenants = new Map<string, TenantState>();
  /** Each origin's pool tokens, held or waited for now (forgotten once none is). */
  private readonly pools = new Map<string, Share>();
  private readonly perTenant: number;
  private readonly perOrigin: number;
  private readonly poolSize: number;
  private readonly byteHold: number;

  constructor(
    settings: TenantShareSettings,
    /** The clock `endGapMs` is measured on (the engine's stall-free one). */
    private readonly clock: () => number = Date.now,
    /** The sockets of the sender's pool for one origin (`WebhookSender.connectionsPerOrigin`); none: unbounded. */
    originPool: number = Number.POSITIVE_INFINITY,
  ) {
    this.perTenant = Math.max(1, settings.maxInFlightPerTenant);
    this.poolSize = Math.max(1, originPool);
    this.perOrigin = Math.min(this.poolSize, Math.max(1, settings.connectionsPerOriginPerTenant));
    this.byteHold = Math.max(1, settings.pendingBytesPerPartitionPerTenant ?? Number.POSITIVE_INFINITY);
  }

  /**
   * Waits for the tenant's share of the origin, then of the attempt slots, then (after
   * `beforePool`, e.g. the hook's rate-limit sleep, which must not hold a token every tenant
   * shares) for the attempt's `bytes` of its tenant's byte hold on its partition (none: not
   * counted), then for a token of the origin's pool; resolves to the release (idempotent) — or to null
   * if `wait` was cancelled first (what was taken is given back). `originHeld`: the origin's
   * share was taken already (`reserveOrigin`); it is the attempt's from here on, given back with
   * the rest.
   */
  acquire(tenantId: string, origin: string): Promise<() => void>;
  acquire(tenantId: string, origin: string, wait: ShareWait, beforePool?: () => Promise<void>, originHeld?: boolean, bytes?: AttemptBytes): Promise<(() => void) | null>;
  async acquire(tenantId: string, origin: string, wait: ShareWait = {}, beforePool?: () => Promise<void>, originHeld = false, bytes?: AttemptBytes): Promise<(() => void) | null> {
    const { tenant, toOrigin } = this.stateOf(tenantId, origin);
    // Nothing is dropped while this attempt waits: its origin's share has a waiter (or its token)
    // and the tenant has that origin, so both stay in the maps until released below.
    const forget = () => this.forget(tenantId, tenant);
    // What the attempt took of its tenant (its slot token, its bytes if taken, its origin token), given back on any way out.
    const giveBack = (bytesTaken: boolean) => {
      tenant.slots.give();
      if (bytesTaken && bytes) this.giveBytes(tenant, bytes);
      if (toOrigin.give()) tenant.origins.delete(origin);
      forget();
    };
    if (!originHeld && !(await this.take(tenant, toOrigin, wait))) {
      this.dropOrigin(tenant, origin, toOrigin);
      forget();
      return null;
    }
    if (!(await this.take(tenant, tenant.slots, wait))) {
      if (toOrigin.give()) tenant.origins.delete(origin);
      forget();
      return null;
    }
    if (beforePool) {
      try {
        await beforePool();
      } catch (err) {
        giveBack(false);
        throw err;
      }
    }
    // Its bytes of the tenant's hold on its partition: taken by an attempt about to run, not by
    // one still waiting for a share (a fan-out's thousands of those would fill the hold).
    if (bytes && !(await this.take(tenant, this.bytesOf(tenant, bytes.partition), wait, bytes.bytes))) {
      this.dropBytes(tenant, bytes.partition);
      giveBack(false);
      return null;
    }
    let p = this.pools.get(origin);
    if (!p) this.pools.set(origin, (p = new Share(this.poolSize)));
    const pool = p;
    const givePool = () => {
      if (pool.give() && this.pools.get(origin) === pool) this.pools.delete(origin);
    };
    if (!(await this.take(tenant, pool, wait))) {
      if (pool.used === 0 && pool.waiters.length === 0 && this.pools.get(origin) === pool) this.pools.delete(origin);
      giveBack(true);
      return null;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (tenant.waiting > 0) {
        const now = this.clock();
        const gap = Math.max(0, now - tenant.quietSince);
        tenant.endGapMs = tenant.endGapMs === 0 ? gap : 0.8 * tenant.endGapMs + 0.2 * gap;
        tenant.quietSince = now;
      }
      givePool();
      giveBack(true);
    };
  }

  /**
   * The first of `acquire`'s waits, the tenant's share of the origin, without a promise or a
   * suspended call: `then(true)` once its token is held (at once, before this returns, when one is
   * free), `then(false)` if `wait` was cancelled first. `acquire(…, originHeld = true)` goes on
   * from there. What waits here is a plain record in the share's queue: a 10,000-hook fan-out
   * keeps most of its deliveries waiting for it, and one suspended `acquire` (with the attempt's
   * async calls above it) per delivery was ~3 KB of heap each (issue 14's memory).
   */
  reserveOrigin(tenantId: string, origin: string, wait: ShareWait, then: (held: boolean) => void): void {
    const { tenant, toOrigin } = this.stateOf(tenantId, origin);
    this.takeThen(tenant, toOrigin, wait, (held) => {
      if (!held) {
        this.dropOrigin(tenant, origin, toOrigin);
        this.forget(tenantId, tenant);
      }
      then(held);
    });
  }

  /** The tenant's byte share of the partition, made on first use. */
  private bytesOf(tenant: TenantState, partition: string): ByteShare {
    let b = tenant.bytes.get(partition);
    if (!b) tenant.bytes.set(partition, (b = new ByteShare(this.byteHold)));
    return b;
  }

  /** Gives an attempt's bytes back (and forgets the partition's byte share once idle). */
  private giveBytes(tenant: TenantState, bytes: AttemptBytes): void {
    tenant.bytes.get(bytes.partition)?.give(bytes.bytes);
    this.dropBytes(tenant, bytes.partition);
  }

  /** Forgets the tenant's byte share of the partition when nothing holds or waits for it. */
  private dropBytes(tenant: TenantState, partition: string): void {
    if (tenant.bytes.get(partition)?.idle) tenant.bytes.delete(partition);
  }

  /** The tenant's state and its share of the origin, made on first use. */
  private stateOf(tenantId: string, origin: string): { tenant: TenantState; toOrigin: Share } {
    let t = this.tenants.get(tenantId);
    if (!t) this.tenants.set(tenantId, (t = { slots: new Share(this.perTenant), origins: new Map(), bytes: new Map(), waiting: 0, quietSince: this.clock(), endGapMs: 0 }));
    let o = t.origins.get(origin);
    if (!o) t.origins.set(origin, (o = new Share(this.perOrigin)));
    return { tenant: t, toOrigin: o };
  }

  /** Forgets the tenant's share of the origin when nothing holds or waits for it. */
  private dropOrigin(tenant: TenantState, origin: string, toOrigin: Share): void {
    if (toOrigin.used === 0 && toOrigin.waiters.length === 0 && tenant.origins.get(origin) === toOrigin) tenant.origins.delete(origin);
  }

  /** Forgets the tenant once it holds and waits for no origin (and no bytes). */
  private forget(tenantId: string, tenant: TenantState): void {
    if (tenant.origins.size === 0 && tenant.bytes.size === 0 && this.tenants.get(tenantId) === tenant) this.tenants.delete(tenantId);
  }

  /** The share's token at once or once handed over (true), or none: `wait` was cancelled first (false). */
  private take(tenant: TenantState, share: Share | ByteShare, wait: ShareWait, n?: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => this.takeThen(tenant, share, wait, resolve, n));
  }

  /** `take` with a callback: `then` is called once, at once when the token is free. `n`: the bytes of a `ByteShare`'s take. */
  private takeThen(tenant: TenantState, share: Share | ByteShare, wait: ShareWait, then: (held: boolean) => void, n?: number): void {
    const wake = () => {
      if (--tenant.waiting === 0) tenant.endGapMs = 0;
      wait.cancel = undefined;
      then(true);
    };
    if (share.take(wake, n)) return then(true);
    if (tenant.waiting++ === 0) tenant.quietSince = this.clock();
    wait.cancel = () => {
      if (!share.drop(wake)) return false;
      if (--tenant.waiting === 0) tenant.endGapMs = 0;
      wait.cancel = undefined;
      then(false);
      return true;
    };
  }

  /**
   * How long apart the tenant's attempts end while some of its attempts wait for its share: the
   * moving average of those gaps, or the current one if it is longer (0 while none waits). What
   * it holds beyond its share is served one per gap.
   */
  endGapMs(tenantId: string): number {
    const t = this.tenants.get(tenantId);
    if (!t || t.waiting === 0) return 0;
    return Math.max(t.endGapMs, this.clock() - t.quietSince);
  }

  /** Attempts the tenant holds (or has handed on to the overall slots) now. */
  heldBy(tenantId: string): number {
    return this.tenants.get(tenantId)?.slots.used ?? 0;
  }

  /** Attempts the tenant holds to the origin now (and those waiting for its share of the slots or a pool token). */
  heldTo(tenantId: string, origin: string): number {
    return this.tenants.get(tenantId)?.origins.get(origin)?.used ?? 0;
  }

  /** Bytes of the tenant's attempts from the partition holding their part of its byte hold now. */
  bytesRunning(tenantId: string, partition: string): number {
    return this.tenants.get(tenantId)?.bytes.get(partition)?.used ?? 0;
  }

  /** The tenant's attempts from the partition waiting for their part of its byte hold now. */
  waitingForBytes(tenantId: string, partition: string): number {
    return this.tenants.get(tenantId)?.bytes.get(partition)?.waiters.length ?? 0;
  }

  /** Attempts (of every tenant) holding a token of the origin's pool now. */
  heldOfPool(origin: string): number {
    return this.pools.get(origin)?.used ?? 0;
  }

  /** Tenants holding or waiting for a share now (each is forgotten once it holds nothing). */
  get tenantsKnown(): number {
    return this.tenants.size;
  }

  /** Origins whose pool tokens are held or waited for now (each is forgotten once none is). */
  get originsKnown(): number {
    return this.pools.size;
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
