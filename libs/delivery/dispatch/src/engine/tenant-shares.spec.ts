import { DispatchEnv, resumeBounds, tenantShares } from '../dispatcher.service';
import { TenantShares, originOf, type ShareWait } from './tenant-shares';

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('TenantShares', () => {
  it('a tenant at its share waits, in order; another tenant gets its share at once; a release lets the tenant\'s next waiter in', async () => {
    const shares = new TenantShares({ maxInFlightPerTenant: 2, connectionsPerOriginPerTenant: 10 });
    const got: string[] = [];
    const take = (tenant: string, origin: string, label: string) => shares.acquire(tenant, origin).then((release) => (got.push(label), release));
    const a1 = take('A', 'https://x', 'a1');
    const a2 = take('A', 'https://y', 'a2');
    void take('A', 'https://z', 'a3');
    void take('A', 'https://x', 'a4');
    const b1 = take('B', 'https://x', 'b1');
    await flush();
    expect(got).toEqual(['a1', 'a2', 'b1']);
    expect(shares.heldBy('A')).toBe(2);
    (await a2)();
    await flush();
    expect(got).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(shares.heldBy('A')).toBe(2);
    (await a1)();
    await flush();
    expect(got).toEqual(['a1', 'a2', 'b1', 'a3', 'a4']);
    (await b1)();
    expect(shares.heldBy('B')).toBe(0);
  });

  it('a tenant at its share of one origin waits for that origin only, without holding any of its share of the slots meanwhile', async () => {
    const shares = new TenantShares({ maxInFlightPerTenant: 3, connectionsPerOriginPerTenant: 1 });
    const got: string[] = [];
    const take = (tenant: string, origin: string, label: string) => shares.acquire(tenant, origin).then((release) => (got.push(label), release));
    const first = take('A', 'https://hanging.example', 'hang-1');
    for (let i = 2; i <= 5; i++) void take('A', 'https://hanging.example', `hang-${i}`);
    void take('A', 'https://fine.example', 'fine');
    void take('B', 'https://hanging.example', 'b');
    await flush();
    expect(got).toEqual(['hang-1', 'fine', 'b']);
    expect(shares.heldBy('A')).toBe(2);
    expect(shares.heldTo('A', 'https://hanging.example')).toBe(1);
    (await first)();
    await flush();
    expect(got).toEqual(['hang-1', 'fine', 'b', 'hang-2']);
  });

  it('the tenants together hold at most the origin\'s pool; a waiter for a pool token holds its tenant\'s tokens, and given up it gives them back', async () => {
    // Shares of 3 of an origin's pool of 4: two tenants' shares add up to 6.
    const shares = new TenantShares({ maxInFlightPerTenant: 10, connectionsPerOriginPerTenant: 3 }, Date.now, 4);
    const got: string[] = [];
    const take = (tenant: string, origin: string, label: string, wait: ShareWait = {}) =>
      shares.acquire(tenant, origin, wait).then((release) => (release && got.push(label), release));
    const a = [1, 2, 3].map((i) => take('A', 'https://x', `a${i}`));
    const b1 = take('B', 'https://x', 'b1');
    const givenUp: ShareWait = {};
    const b2 = take('B', 'https://x', 'b2', givenUp);
    const b3 = take('B', 'https://x', 'b3');
    const other = take('B', 'https://y', 'other'); // another origin's pool: not behind https://x's
    await flush();
    expect(got).toEqual(['a1', 'a2', 'a3', 'b1', 'other']);
    expect([shares.heldOfPool('https://x'), shares.heldTo('B', 'https://x'), shares.heldBy('B')]).toEqual([4, 3, 4]);
    // Given up while it waits for a pool token: its tenant's tokens (of the origin and of the slots) come back.
    expect(givenUp.cancel?.()).toBe(true);
    expect(await b2).toBeNull();
    expect([shares.heldOfPool('https://x'), shares.heldTo('B', 'https://x'), shares.heldBy('B')]).toEqual([4, 2, 3]);
    // A token given back goes to the next waiter for the pool, whichever tenant's.
    (await a[0])?.();
    await flush();
    expect(got).toEqual(['a1', 'a2', 'a3', 'b1', 'other', 'b3']);
    expect(shares.heldOfPool('https://x')).toBe(4);
    for (const r of [a[1], a[2], b1, b3, other]) (await r)?.();
    expect([shares.heldOfPool('https://x'), shares.originsKnown, shares.tenantsKnown]).toEqual([0, 0, 0]);
  });

  it('what runs before the pool token (a rate-limit sleep) holds the tenant\'s tokens but none of the pool every tenant shares', async () => {
    // A pool of 1: while A's attempt sleeps for its hook's rate-limit slot, B's attempt to the same host gets the socket.
    const shares = new TenantShares({ maxInFlightPerTenant: 10, connectionsPerOriginPerTenant: 1 }, Date.now, 1);
    let wake!: () => void;
    let sleeping = false;
    const a = shares.acquire('A', 'https://x', {}, () => ((sleeping = true), new Promise<void>((r) => (wake = r))));
    await flush();
    expect(sleeping).toBe(true);
    expect([shares.heldBy('A'), shares.heldTo('A', 'https://x'), shares.heldOfPool('https://x')]).toEqual([1, 1, 0]);
    const b = await shares.acquire('B', 'https://x');
    expect(shares.heldOfPool('https://x')).toBe(1);
    // Awake, A waits for the pool token like any other attempt, and gets it once B's ends.
    wake();
    await flush();
    let aGot = false;
    void a.then(() => (aGot = true));
    await flush();
    expect(aGot).toBe(false);
    b();
    await flush();
    expect(aGot).toBe(true);
    (await a)?.();
    expect([shares.heldOfPool('https://x'), shares.tenantsKnown]).toEqual([0, 0]);
  });

  it('a release counts once; a tenant holding nothing is forgotten', async () => {
    const shares = new TenantShares({ maxInFlightPerTenant: 1, connectionsPerOriginPerTenant: 1 });
    const release = await shares.acquire('A', 'https://x');
    release();
    release();
    expect(shares.heldBy('A')).toBe(0);
    expect(shares.tenantsKnown).toBe(0);
    const again = await shares.acquire('A', 'https://x');
    const waiting = shares.acquire('A', 'https://x');
    let second = false;
    void waiting.then(() => (second = true));
    await flush();
    expect(second).toBe(false);
    again();
    (await waiting)();
    expect(shares.tenantsKnown).toBe(0);
  });

  it('a wait given up is not handed a share, gives back what it held and is forgotten; one handed its share cannot be given up', async () => {
    const shares = new TenantShares({ maxInFlightPerTenant: 1, connectionsPerOriginPerTenant: 2 });
    const first = await shares.acquire('A', 'https://x');
    // Waits for the tenant's share of the slots, holding one of its two tokens of https://x.
    const givenUp: ShareWait = {};
    const gaveUp = shares.acquire('A', 'https://x', givenUp);
    // Waits for the origin's share (both tokens taken): a later waiter behind it.
    const next: ShareWait = {};
    const behind = shares.acquire('A', 'https://x', next);
    await flush();
    expect(shares.heldTo('A', 'https://x')).toBe(2);
    expect(givenUp.cancel?.()).toBe(true);
    expect(await gaveUp).toBeNull();
    await flush();
    expect(givenUp.cancel).toBeUndefined();
    // Its token of the origin went to the waiter behind it, which now waits for the slot.
    expect(shares.heldTo('A', 'https://x')).toBe(2);
    first();
    const release = await behind;
    expect(release).not.toBeNull();
    expect(next.cancel).toBeUndefined(); // handed its share: too late to give it up
    release?.();
    expect(shares.tenantsKnown).toBe(0);
    // Given up while waiting for the origin: the origin and the tenant are forgotten too.
    const w: ShareWait = {};
    const p = new TenantShares({ maxInFlightPerTenant: 5, connectionsPerOriginPerTenant: 1 });
    const held = await p.acquire('D', 'https://y');
    const waiting = p.acquire('D', 'https://y', w);
    await flush();
    expect(w.cancel?.()).toBe(true);
    expect(await waiting).toBeNull();
    held();
    expect(p.tenantsKnown).toBe(0);
  });

  it('reserveOrigin: the origin\'s share without a promise — at once when free, in order with acquire\'s waiters, given up with nothing held; acquire goes on from it', async () => {
    const shares = new TenantShares({ maxInFlightPerTenant: 1, connectionsPerOriginPerTenant: 2 });
    const got: string[] = [];
    const reserve = (label: string, wait: ShareWait = {}) => shares.reserveOrigin('A', 'https://x', wait, (held) => got.push(`${label}:${held}`));
    reserve('r1');
    expect(got).toEqual(['r1:true']); // before it returned
    const first = shares.acquire('A', 'https://x').then((release) => (got.push('a1'), release));
    const givenUp: ShareWait = {};
    reserve('r2', givenUp);
    reserve('r3');
    await flush();
    expect(got).toEqual(['r1:true', 'a1']);
    expect(shares.heldTo('A', 'https://x')).toBe(2);
    expect(givenUp.cancel?.()).toBe(true);
    expect(got).toEqual(['r1:true', 'a1', 'r2:false']);
    expect(givenUp.cancel).toBeUndefined();
    // r1's reservation goes on in acquire (originHeld): it waits for the tenant's one slot, which a1 holds.
    const r1 = shares.acquire('A', 'https://x', {}, undefined, true).then((release) => (got.push('r1 sent'), release));
    await flush();
    expect(got).toEqual(['r1:true', 'a1', 'r2:false']);
    (await first)();
    await flush();
    // a1's origin token went to r3 (r2 gave its wait up), its slot to r1; r1 still holds the origin's share it reserved.
    expect(got).toEqual(['r1:true', 'a1', 'r2:false', 'r3:true', 'r1 sent']);
    expect(shares.heldTo('A', 'https://x')).toBe(2);
    expect(shares.heldBy('A')).toBe(1);
    (await r1)?.();
    expect(shares.heldTo('A', 'https://x')).toBe(1);
    expect(shares.heldBy('A')).toBe(0);
    // r3's reservation goes on and ends: holding nothing, the tenant is forgotten.
    const r3 = await shares.acquire('A', 'https://x', {}, undefined, true);
    r3?.();
    expect(shares.tenantsKnown).toBe(0);
  });

  it('measures how far apart a tenant\'s attempts end while others of its attempts wait: 0 while none waits', async () => {
    let now = 1_000;
    const shares = new TenantShares({ maxInFlightPerTenant: 2, connectionsPerOriginPerTenant: 10 }, () => now);
    const running = [await shares.acquire('A', 'https://x'), await shares.acquire('A', 'https://x')];
    expect(shares.endGapMs('A')).toBe(0); // at its share, nothing waiting
    const waiting = [shares.acquire('A', 'https://x'), shares.acquire('A', 'https://x'), shares.acquire('A', 'https://x')];
    await flush();
    now += 700;
    expect(shares.endGapMs('A')).toBe(700); // nothing ended since the first waited
    running[0]();
    expect(shares.endGapMs('A')).toBe(700);
    now += 100;
    running[1]();
    expect(shares.endGapMs('A')).toBeCloseTo(0.8 * 700 + 0.2 * 100);
    now += 5_000;
    expect(shares.endGapMs('A')).toBe(5_000); // the current gap, once longer than the average
    expect(shares.endGapMs('B')).toBe(0);
    for (const w of waiting) (await w)();
    await flush();
    expect(shares.endGapMs('A')).toBe(0);
    expect(shares.tenantsKnown).toBe(0);
  });

  it('keys origins as the connection pool does: scheme, host and port; what does not parse is its own key', () => {
    expect(originOf('https://Hooks.Example:443/a?b=1')).toBe('https://hooks.example');
    expect(originOf('http://hooks.example:8080/a')).toBe('http://hooks.example:8080');
    expect(originOf('https://user:pw@hooks.example/a')).toBe('https://hooks.example');
    expect(originOf('not a url')).toBe('not a url');
    expect(originOf('https://hooks\u0000.example/a')).toBe('https://hooks\u0000.example/a');
    expect(originOf('')).toBe('');
  });

  it('a tenant with 1,000 hooks on one origin gets its share of it, in order; a huge tenant id is a tenant like another and is forgotten', async () => {
    const shares = new TenantShares({ maxInFlightPerTenant: 128, connectionsPerOriginPerTenant: 96 });
    const huge = 'T'.repeat(1_000_000);
    const got: number[] = [];
    const waits = Array.from({ length: 1_000 }, (_, i) => shares.acquire(huge, 'https://hooks.example').then((release) => (got.push(i), release)));
    const other = shares.acquire('B', 'https://hooks.example');
    await flush();
    expect(got).toEqual(Array.from({ length: 96 }, (_, i) => i));
    expect(shares.heldTo(huge, 'https://hooks.example')).toBe(96);
    (await other)();
    for (let i = 0; i < 1_000; i++) (await waits[i])();
    expect(got).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    expect(shares.tenantsKnown).toBe(0);
  });

  it('a tenant\'s attempts from one partition run within its byte hold there: one that would go over it waits (in order, after its other shares, before the pool), one larger than the hold runs alone, another partition or tenant is not held', async () => {
    const shares = new TenantShares({ maxInFlightPerTenant: 10, connectionsPerOriginPerTenant: 10, pendingBytesPerPartitionPerTenant: 1_000 });
    const got: string[] = [];
    const take = (tenant: string, partition: string, bytes: number, label: string, wait: ShareWait = {}) =>
      shares.acquire(tenant, `https://${label}.example`, wait, undefined, false, { partition, bytes }).then((release) => (release && got.push(label), release));
    const a1 = take('A', 'd:0', 600, 'a1');
    const big = take('A', 'd:0', 5_000, 'big'); // larger than the hold: waits for a1, then runs alone
    const a3 = take('A', 'd:0', 100, 'a3'); // would fit beside a1, but not ahead of big
    const other = take('A', 'd:1', 900, 'other');
    const b = take('B', 'd:0', 900, 'b');
    await flush();
    expect(got).toEqual(['a1', 'other', 'b']);
    expect(shares.bytesRunning('A', 'd:0')).toBe(600);
    expect(shares.waitingForBytes('A', 'd:0')).toBe(2);
    expect(shares.heldBy('A')).toBe(4); // the waiters hold their slots (they are about to run)...
    expect(shares.heldOfPool('https://big.example')).toBe(0); // ...but no token of the pool every tenant shares
    (await a1)?.();
    await flush();
    expect(got).toEqual(['a1', 'other', 'b', 'big']);
    expect(shares.bytesRunning('A', 'd:0')).toBe(5_000);
    // Given up while it waits: it is not handed its bytes later, and what waits behind it is.
    const givenUp: ShareWait = {};
    const gone = take('A', 'd:0', 10, 'gone', givenUp);
    await flush();
    expect(shares.waitingForBytes('A', 'd:0')).toBe(2);
    expect(givenUp.cancel?.()).toBe(true);
    expect(await gone).toBeNull();
    (await big)?.();
    await flush();
    expect(got).toEqual(['a1', 'other', 'b', 'big', 'a3']);
    (await a3)?.();
    (await other)?.();
    (await b)?.();
    expect(shares.tenantsKnown).toBe(0);
  });

  it('a waiter for its bytes that is given up hands them on to the next one that fits', async () => {
    const shares = new TenantShares({ maxInFlightPerTenant: 10, connectionsPerOriginPerTenant: 10, pendingBytesPerPartitionPerTenant: 1_000 });
    const first = await shares.acquire('A', 'https://x', {}, undefined, false, { partition: 'd:0', bytes: 500 });
    const head: ShareWait = {};
    const headGot = shares.acquire('A', 'https://x', head, undefined, false, { partition: 'd:0', bytes: 900 });
    const small = shares.acquire('A', 'https://x', {}, undefined, false, { partition: 'd:0', bytes: 400 });
    await flush();
    expect(shares.waitingForBytes('A', 'd:0')).toBe(2);
    expect(head.cancel?.()).toBe(true); // the head leaves: 400 fits beside 500
    expect(await headGot).toBeNull();
    const release = await small;
    expect(shares.bytesRunning('A', 'd:0')).toBe(900);
    release?.();
    first?.();
    expect(shares.tenantsKnown).toBe(0);
  });

  it('an attempt whose origin share was reserved (reserveOrigin) takes its bytes in acquire, and its release gives them back; the fan-out\'s waiters for the origin hold no bytes', async () => {
    const shares = new TenantShares({ maxInFlightPerTenant: 10, connectionsPerOriginPerTenant: 1, pendingBytesPerPartitionPerTenant: 1_000 });
    const bytes = (n: number) => ({ partition: 'd:0', bytes: n });
    const got: boolean[] = [];
    const w1: ShareWait = {};
    shares.reserveOrigin('A', 'https://x', w1, (held) => got.push(held));
    const w2: ShareWait = {};
    shares.reserveOrigin('A', 'https://x', w2, (held) => got.push(held)); // waits for the origin's share
    expect(got).toEqual([true]);
    expect(shares.bytesRunning('A', 'd:0')).toBe(0);
    const release = await shares.acquire('A', 'https://x', w1, undefined, true, bytes(800));
    expect(shares.bytesRunning('A', 'd:0')).toBe(800);
    release?.();
    expect(got).toEqual([true, true]);
    expect(shares.bytesRunning('A', 'd:0')).toBe(0);
    (await shares.acquire('A', 'https://x', w2, undefined, true, bytes(800)))?.();
    expect(shares.tenantsKnown).toBe(0);
  });

  it('the settings: a quarter of the slots, three quarters of an origin\'s sockets and a quarter of a partition\'s pending unless set, never more than the whole, validated', () => {
    expect(tenantShares(DispatchEnv.parse({}))).toEqual({ maxInFlightPerTenant: 128, connectionsPerOriginPerTenant: 96, pendingPerPartitionPerTenant: 250, pendingBytesPerPartitionPerTenant: 1024 * 1024 });
    expect(
      tenantShares(DispatchEnv.parse({ HERALD_DISPATCH_MAX_IN_FLIGHT: '10', HERALD_DISPATCH_CONNECTIONS_PER_ORIGIN: '4', HERALD_DISPATCH_MAX_PENDING_PER_PARTITION: '10' })),
    ).toEqual({
      maxInFlightPerTenant: 3,
      connectionsPerOriginPerTenant: 3,
      pendingPerPartitionPerTenant: 3,
      pendingBytesPerPartitionPerTenant: 1024 * 1024,
    });
    expect(
      tenantShares(
        DispatchEnv.parse({
          HERALD_DISPATCH_MAX_IN_FLIGHT_PER_TENANT: '100000',
          HERALD_DISPATCH_CONNECTIONS_PER_ORIGIN_PER_TENANT: '7',
          HERALD_DISPATCH_MAX_PENDING_PER_PARTITION_PER_TENANT: '100000',
          HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION: '1048576',
          HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION_PER_TENANT: '8388608',
        }),
      ),
    ).toEqual({ maxInFlightPerTenant: 512, connectionsPerOriginPerTenant: 7, pendingPerPartitionPerTenant: 1_000, pendingBytesPerPartitionPerTenant: 1_048_576 });
    expect(tenantShares(DispatchEnv.parse({ HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION_PER_TENANT: '65536' })).pendingBytesPerPartitionPerTenant).toBe(65_536);
    expect(tenantShares(DispatchEnv.parse({ HERALD_DISPATCH_MAX_PENDING_PER_PARTITION_PER_TENANT: '40' })).pendingPerPartitionPerTenant).toBe(40);
    for (const bad of [
      { HERALD_DISPATCH_MAX_IN_FLIGHT_PER_TENANT: '0' },
      { HERALD_DISPATCH_CONNECTIONS_PER_ORIGIN_PER_TENANT: '1.5' },
      { HERALD_DISPATCH_MAX_IN_FLIGHT_PER_TENANT: 'x' },
      { HERALD_DISPATCH_MAX_PENDING_PER_PARTITION_PER_TENANT: '0' },
      { HERALD_DISPATCH_MAX_PENDING_PER_PARTITION_PER_TENANT: '-5' },
      { HERALD_DISPATCH_MAX_PENDING_PER_PARTITION_PER_TENANT: '1e9' },
      { HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION_PER_TENANT: '0' },
      { HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION_PER_TENANT: '1023' },
      { HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION_PER_TENANT: '4e9' },
      { HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION_PER_TENANT: '1mb' },
    ]) {
      expect(DispatchEnv.safeParse(bad).success).toBe(false);
    }
  });
  it('a paused partition resumes once one tenant\'s whole hold fits again, and at half of the bound at the latest', () => {
    const at = (env: Record<string, string>) => {
      const config = DispatchEnv.parse(env);
      return resumeBounds(tenantShares(config), config);
    };
    expect(at({})).toEqual({ maxPending: 750, maxPendingBytes: 3 * 1024 * 1024 });
    expect(at({ HERALD_DISPATCH_MAX_PENDING_PER_PARTITION: '100', HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION: String(400 * 1024) })).toEqual({
      maxPending: 75,
      maxPendingBytes: 300 * 1024,
    });
    // A tenant's hold set at the whole bound (or above half of it): half, as before holds existed.
    expect(at({ HERALD_DISPATCH_MAX_PENDING_PER_PARTITION_PER_TENANT: '1000', HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION_PER_TENANT: String(3 * 1024 * 1024) })).toEqual({
      maxPending: 500,
      maxPendingBytes: 2 * 1024 * 1024,
    });
  });
});
