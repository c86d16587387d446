import { Logger } from '@nestjs/common';
import type { DeadLetterWriter, OutboundBatcher, RawMessage } from '@herald/platform/kafka';
import type { AttemptResult, WebhookSender } from '@herald/delivery/sending';
import { dueAtOf, type TopicPartition, type TrackedMessage } from '@herald/delivery/retry-tiers';
import { retryTierFor, retryTierLabel, type TopicSpec } from '@herald/contracts';
import type { Endpoint, EndpointDirectory } from './endpoint-directory';
import type { DispatchMetrics } from './dispatch-metrics';
import { AttemptRunner } from './engine/attempt-runner';
import { DeliveryDeadLetters, decodeDelivery } from './engine/dead-letters';
import { HangingReceivers } from './engine/hanging-receivers';
import { LaneBounds, type LaneBoundSettings, type ParkReason } from './engine/lane-bounds';
import { AttemptSlots, Lanes, heldSource, type Entry, type Lane, type ShareWaiting } from './engine/lanes';
import { NO_STALLS, activeNow, type StallClock } from './engine/loop-stalls';
import { OrderedMode } from './engine/ordered-mode';
import { OrderedPipe, type PipeSeed } from './engine/ordered-pipe';
import { OutcomeWriter } from './engine/outcome-writer';
import { SharedEventFields } from './engine/shared-fields';
import { TenantShares, type TenantShareSettings } from './engine/tenant-shares';
import { TenantHolds, partitionKeyOf, type TenantHoldSettings } from './engine/tenant-holds';
import { decideAfterFailure } from './engine/retry-decision';

export { OrderedPipe, type PipeSeed } from './engine/ordered-pipe';

export interface DispatchSettings extends LaneBoundSettings, TenantShareSettings, TenantHoldSettings {
  /** HTTP attempts in flight across all subscriptions. */
  maxInFlight: number;
  /** HTTP attempts in flight for one subscription in independent mode (ordered mode: 1). */
  maxInFlightPerSubscription: number;
  /** How long a delivery waits for a snapshot the router saw before us (new or updated hook). */
  snapshotWaitMs: number;
  /** An attempt running this long (or a last one that timed out) makes a hook hanging: one attempt in flight. */
  hangingAfterMs: number;
}

/** A tier message handed over less than this before it is due is sent (timer granularity), not hopped. */
export const HOP_TOLERANCE_MS = 10;

export const DEFAULT_DISPATCH_SETTINGS: DispatchSettings = {
  maxInFlight: 512,
  maxInFlightPerSubscription: 4,
  // A quarter of the slots, and three quarters of an origin's 128 connections (the sender's default pool).
  maxInFlightPerTenant: 128,
  connectionsPerOriginPerTenant: 96,
  // A quarter of a partition's 1,000 (the dispatcher's HERALD_DISPATCH_MAX_PENDING_PER_PARTITION).
  pendingPerPartitionPerTenant: 250,
  // A quarter of a partition's 4 MiB (HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION).
  pendingBytesPerPartitionPerTenant: 1024 * 1024,
  snapshotWaitMs: 5_000,
  hangingAfterMs: 1_000,
  laneQueueFloor: 8,
  laneMaxWaitMs: 30_000,
  slowAttemptMs: 250,
};

/**
 * Sends deliveries from the main topic and the retry tiers: concurrently across subscriptions,
 * in order within one, with caps on attempts in flight per subscription and overall. Each
 * accepted message's promise resolves once it is finished — delivered, moved to a retry tier,
 * dead-lettered or discarded, with its outcome acknowledged by Kafka — and only then may its
 * offset be committed.
 *
 * The engine routes; its parts do the jobs: `decodeDelivery` / `DeliveryDeadLetters` (what is
 * not a delivery, and what ends in the DLQ), `Lanes` and `AttemptSlots` (per-hook queues, rate
 * limits, the overall cap), `TenantShares` (one tenant's share of the slots and of a receiver
 * origin's connections), `TenantHolds` (one tenant's hold on a partition's in-flight cap),
 * `HangingReceivers` (one attempt at a time for hooks that hang),
 * `LaneBounds` (what a lane may hold; the rest is parked in a tier, in order as a pipe for an
 * ordered hook), `OrderedMode` / `OrderedPipe` (ordered hooks), `AttemptRunner` (the attempt and
 * its span), `decideAfterFailure` (retry or end) and `OutcomeWriter` (outcomes and tier writes).
 *
 * A retry tier hands a message over at its due time or after the tier's own delay, whichever
 * comes first; one that is not due yet hops on to the tier of what is left of its wait (an
 * ordered hook's head with its whole pipe, `OrderedMode.hop`), so no wait holds a tier
 * partition — and every other hook's retries behind it there — longer than the tier's delay.
 */
export class DeliveryEngine {
  private readonly logger = new Logger('DeliveryEngine');
  private readonly lanes = new Lanes();
  private readonly deadLetters: DeliveryDeadLetters;
  private readonly writer: OutcomeWriter;
  private readonly hanging: HangingReceivers;
  private readonly bounds: LaneBounds;
  private readonly ordered: OrderedMode;
  private readonly attempts: AttemptRunner;
  private readonly shares: TenantShares;
  private readonly holds: TenantHolds;
  private readonly sharedFields = new SharedEventFields();
  /** Tenants holding more than their floor of a partition: looked at again (`trimTenant`) when the timer fires. */
  private readonly tenantChecks = new Map<string, NodeJS.Timeout>();
  private stopping = false;
  /** Writes (outcomes, tier messages) that finish a delivery after its lane moved on. */
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    private readonly directory: EndpointDirectory,
    /** Its `connectionsPerOrigin` (when it has one) bounds the attempts to one origin across tenants (`TenantShares`). */
    sender: Pick<WebhookSender, 'send'> & Partial<Pick<WebhookSender, 'connectionsPerOrigin'>>,
    out: Pick<OutboundBatcher, 'add'>,
    deadLetters: Pick<DeadLetterWriter, 'deadLetter'>,
    private readonly metrics: DispatchMetrics,
    private readonly settings: DispatchSettings = DEFAULT_DISPATCH_SETTINGS,
    /** This process's stalls (`LoopStalls`): how long attempts run is judged net of them. */
    private readonly stalls: StallClock = NO_STALLS,
  ) {
    this.deadLetters = new DeliveryDeadLetters(deadLetters, metrics);
    this.writer = new OutcomeWriter(out, this.deadLetters, metrics);
    this.hanging = new HangingReceivers(settings);
    this.bounds = new LaneBounds(settings);
    this.ordered = new OrderedMode(this.writer, (lane) => this.overflowDue(lane));
    this.shares = new TenantShares(settings, () => this.active(), sender.connectionsPerOrigin);
    this.holds = new TenantHolds(settings);
    this.attempts = new AttemptRunner(directory, sender, new AttemptSlots(settings.maxInFlight), metrics, settings.snapshotWaitMs, stalls, this.shares);
  }

  /**
   * The `TrackedHandler` for the main topic and every tier. Not an async function: what a
   * pending delivery keeps while it waits is its entry and this one promise (issue 14's memory).
   */
  readonly accept = (m: TrackedMessage): Promise<void> => {
    try {
      const decoded = decodeDelivery(m);
      if (decoded.kind === 'invalid') return this.deadLetters.invalid(m, decoded.reason);
      const { trace } = decoded;
      const delivery = this.sharedFields.share(decoded.delivery);
      // Not `m` from here on: its buffers are slices of the whole fetched batch (`heldSource`).
      const source = heldSource(m);
      return new Promise<void>((resolve) => {
        // Held by its tenant on its partition until finished (`TenantHolds`).
        const key = partitionKeyOf(source);
        const { bytes } = source;
        this.holds.add(delivery.tenantId, key, bytes);
        let finished = false;
        const finish = () => {
          if (finished) return;
          finished = true;
          this.holds.remove(delivery.tenantId, key, bytes);
          resolve();
        };
        this.offer({ delivery, source, trace, finish });
      });
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };

  /** The outbound batcher's `onDeadLettered`: a delivery the broker refused is logged as failed. */
  readonly refusedByBroker = (topic: TopicSpec, message: RawMessage, reason: string): Promise<void> | undefined =>
    this.writer.refusedByBroker(topic, message, reason);

  /**
   * Seeds an ordered hook's pipe found in the tier topics when its partition was assigned here
   * (before any of its messages is handed over); false when the hook has a pipe here already.
   */
  seedPipe(subscriptionId: string, seed: PipeSeed, partition = -1): boolean {
    const lane = this.lanes.get(subscriptionId);
    if (lane.pipe) return false;
    lane.pipe = OrderedPipe.from(seed);
    lane.partition = partition;
    return true;
  }

  /**
   * Partitions went to another dispatcher (a rebalance), each a topic's partition: under the
   * co-partitioned assigner partition p of the deliveries topic and of every tier goes as a
   * whole, but under the round-robin fallback (a rolling upgrade) a member may lose one topic's p
   * and keep another's, so what a lane holds is judged by where each delivery came from:
   * - from a revoked partition: let go unattempted — finished here, which commits nothing (the
   *   consumer dropped that partition's ledger before this is called), so the new owner delivers
   *   it from the committed offset; an attempt of it still waiting for its slot is not sent, one
   *   running ends on its own (it may be sent twice);
   * - from a partition this member kept: it stays, and is sent (or parked) here before it is
   *   finished — finishing it unsent would commit it, and it would be lost.
   * An ordered hook's pipes are dropped when the tier partition one of them is in was revoked
   * (their messages come back to the new owner, which rebuilds the pipe); what they held from kept
   * partitions is offered again, behind what the lane queued. A lane is dropped once nothing of a
   * kept partition is left in it.
   */
  forgetPartitions(revoked: readonly TopicPartition[]): void {
    const keys = new Set(revoked.map(partitionKeyOf));
    if (keys.size === 0) return;
    const gone = (topic: TopicSpec, partition: number) => keys.has(partitionKeyOf({ topic, partition }));
    const isRevoked = (e: Entry) => gone(e.source.topic, e.source.partition);
    for (const [, lane] of [...this.lanes]) {
      const letGo: Entry[] = [];
      // What `list` holds from kept partitions stays in it, in order; the rest is let go.
      const sift = (list: Entry[]) => {
        const all = list.splice(0);
        for (const e of all) (isRevoked(e) ? letGo : list).push(e);
      };
      sift(lane.queue);
      const chain: OrderedPipe[] = [];
      for (let p = lane.pipe; p && !chain.includes(p); p = p.rollTo) chain.push(p);
      for (const p of chain) sift(p.held);
      const again: Entry[] = [];
      if (chain.some((p) => gone(p.headTopic, lane.partition))) {
        for (const p of chain) again.push(...p.held.splice(0));
        lane.pipe = null;
      }
      for (const e of lane.attempting) if (isRevoked(e)) e.letGo = true;
      // One waiting for its tenant's share (or its bytes of the tenant's hold behind a hanging
      // attempt) gives the wait up now, not once it is handed what it waited for.
      for (const w of [...lane.shareWaits]) if (w.entry && isRevoked(w.entry) && w.cancel?.()) letGo.push(w.entry);
      const keeps = lane.queue.length > 0 || lane.pipe !== null || again.length > 0 || [...lane.attempting].some((e) => !e.letGo);
      if (!keeps) {
        clearTimeout(lane.trimTimer);
        lane.trimTimer = undefined;
        this.lanes.forget(lane);
      }
      for (const e of letGo) e.finish();
      for (const e of again) this.offer(e);
      if (keeps && (letGo.length > 0 || again.length > 0)) {
        this.pump(lane);
        this.lanes.dropIfIdle(lane);
      }
    }
  }

  /** The ordered pipes held now (for tests and diagnostics). */
  pipes(): Map<string, OrderedPipe> {
    const out = new Map<string, OrderedPipe>();
    for (const [id, lane] of this.lanes) if (lane.pipe) out.set(id, lane.pipe);
    return out;
  }

  get attemptsInFlight(): number {
    return this.attempts.inFlight;
  }

  /**
   * Graceful shutdown: start no new attempt, wait (at most `timeoutMs`) for the running ones to
   * finish and their results to be written. Queued deliveries are handed back: never finished,
   * so never committed, so the next owner of the partition delivers them.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    this.attempts.stop();
    for (const t of this.tenantChecks.values()) clearTimeout(t);
    this.tenantChecks.clear();
    const idle = async () => {
      await this.attempts.whenIdle();
      await Promise.all([...this.writes]);
      return true;
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    return Promise.race([idle(), timedOut]).finally(() => clearTimeout(timer));
  }

  private inBackground(p: Promise<unknown>): void {
    const tracked = p.catch((err: Error) => this.logger.error(`write failed: ${err.message}`)).finally(() => this.writes.delete(tracked));
    this.writes.add(tracked);
  }

  /** The due time of an entry a tier handed over before it was due (null: due, or not from a tier). */
  private dueLater(e: Entry, now = Date.now()): number | null {
    const dueAt = dueAtOf(e.source.message);
    return dueAt === null || dueAt - now <= HOP_TOLERANCE_MS ? null : dueAt;
  }

  /** The tier for what is left of a wait until `dueAt`, counted as a hop. */
  private hopTier(dueAt: number): TopicSpec {
    const { spec, tierDelayMs } = retryTierFor(dueAt - Date.now());
    this.metrics.hops.inc({ tier: retryTierLabel(tierDelayMs) });
    return spec;
  }

  /** An entry a tier handed over before it was due: on to the tier of what is left of its wait, unattempted, due as before. */
  private hop(e: Entry, dueAt: number): void {
    this.inBackground(this.writer.forward(this.hopTier(dueAt), e.delivery, dueAt, e.trace).then(e.finish));
  }

  private offer(e: Entry): void {
    const dueAt = this.dueLater(e);
    if (dueAt !== null && !this.lanes.find(e.delivery.subscriptionId)?.pipe) return this.hop(e, dueAt);
    const lane = this.lanes.get(e.delivery.subscriptionId);
    lane.partition = e.source.partition;
    lane.tenantId = e.delivery.tenantId;
    if (lane.pipe) {
      if (this.ordered.offer(lane, lane.pipe, e)) this.pump(lane);
      return;
    }
    // The hook's lane has room: its tenant may still hold too much of the partition.
    let due = this.overflowDue(lane);
    let reason: ParkReason | undefined;
    if (due === null) {
      const over = this.tenantOverflow(e);
      if (over) ({ due, reason } = over);
    }
    if (due === null) {
      lane.queue.push(e);
      this.pump(lane);
    } else if (this.isOrdered(lane)) {
      this.metrics.spilled.inc({ reason: 'ordered' });
      this.ordered.open(lane, e, due);
      this.lanes.dropIfIdle(lane);
    } else {
      this.park(lane, e, due, reason);
    }
  }

  /**
   * The entry's tenant holds more of its partition than it may (`TenantHolds`; the entry is
   * counted), in deliveries or in bytes: when to park it for, and why; null while it may hold it. A tenant
   * over its floor (or its byte hold) is looked at again (`trimTenant`) while it stays over it.
   */
  private tenantOverflow(e: Entry): { due: number; reason: ParkReason } | null {
    const { tenantId } = e.delivery;
    const key = partitionKeyOf(e.source);
    const held = this.holds.count(tenantId, key);
    if (this.holds.bytesOver(tenantId, key) > 0) {
      this.watchTenant(tenantId);
      if (this.bytesToShed(tenantId, key, e.source.bytes) > 0) return { due: this.bytesParkUntil(tenantId, held - 1), reason: 'tenant_bytes' };
    }
    if (held <= this.settings.pendingPerPartitionPerTenant) return null;
    this.watchTenant(tenantId);
    const gap = this.shares.endGapMs(tenantId);
    if (held <= this.holds.room(gap)) return null;
    return { due: this.holds.parkUntil(held - 1, gap), reason: 'tenant' };
  }

  /**
   * Bytes the tenant holds on the partition beyond its byte hold that are to be parked now (0:
   * none). Not all of them: deliveries so small that its count floor of them fits in the byte
   * hold (~4 KB by default) are bounded by the count hold already (its floor, and beyond it its
   * pace, as before: a busy tenant's burst is not parked for its bytes) — unless some of its
   * attempts there wait for their bytes of the hold (`TenantShares`: what runs fills it) or the
   * delivery just offered (`entryBytes`; none: the average of what it holds there) would. A few
   * large deliveries to receivers that do not answer are parked as they arrive, before any
   * attempt shows it hangs: the consumer pauses the partition at its byte bound for every tenant,
   * and no pace can be measured from attempts that neither end nor wait.
   */
  private bytesToShed(tenantId: string, key: string, entryBytes?: number): number {
    const over = this.holds.bytesOver(tenantId, key);
    if (over <= 0 || this.shares.waitingForBytes(tenantId, key) > 0) return over;
    const count = this.holds.count(tenantId, key);
    const size = entryBytes ?? this.holds.bytes(tenantId, key) / Math.max(1, count);
    // The delivery offered would wait for its bytes beside what runs.
    if (entryBytes !== undefined && this.shares.bytesRunning(tenantId, key) + entryBytes > this.holds.byteHold) return over;
    return size * this.settings.pendingPerPartitionPerTenant > this.holds.byteHold ? over : 0;
  }

  /**
   * When a delivery parked for its tenant's bytes is due back: once the tenant should have served
   * the `held` it keeps there, and not sooner than `hangingAfterMs` (a tenant none of whose
   * attempts waits has no pace: what is parked would otherwise be due at once and come straight
   * back, a large body to and from a tier in a loop), at most `laneMaxWaitMs` on.
   */
  private bytesParkUntil(tenantId: string, held: number): number {
    const soonest = Date.now() + Math.min(this.settings.hangingAfterMs, this.settings.laneMaxWaitMs);
    return Math.max(soonest, this.holds.parkUntil(held, this.shares.endGapMs(tenantId)));
  }

  /** Looks at the tenant's holds again (`trimTenant`) in `hangingAfterMs`, and so on while it holds more than its floor of a partition. */
  private watchTenant(tenantId: string): void {
    if (this.stopping || this.tenantChecks.has(tenantId)) return;
    const timer = setTimeout(() => {
      this.tenantChecks.delete(tenantId);
      this.trimTenant(tenantId);
      if (this.holds.overFloor(tenantId).length > 0) this.watchTenant(tenantId);
    }, this.settings.hangingAfterMs);
    timer.unref();
    this.tenantChecks.set(tenantId, timer);
  }

  /**
   * Parks what the tenant holds beyond its room on a partition at the pace now known
   * (`TenantHolds.room`), or beyond its byte hold there (`bytesToShed`) — newest first, from its
   * independent hooks' lanes: queued, or waiting for the tenant's share or its bytes (the wait is
   * given up, the attempt not sent). A burst taken in before its attempts showed they do not end
   * (one delivery to each of 1,000 hooks: every lane within its bound) does not hold the partition. What runs is left to end; an ordered hook's head and
   * pipe keep their order (not trimmed here).
   */
  private trimTenant(tenantId: string): void {
    if (this.stopping) return;
    const gap = this.shares.endGapMs(tenantId);
    const room = this.holds.room(gap);
    // Per partition: deliveries beyond its room, and bytes beyond its byte hold (`bytesToShed`).
    const excess = new Map<string, { n: number; bytes: number }>();
    for (const key of this.holds.overFloor(tenantId)) {
      const n = this.holds.count(tenantId, key) - room;
      const bytes = this.bytesToShed(tenantId, key);
      if (n > 0 || bytes > 0) excess.set(key, { n, bytes });
    }
    if (excess.size === 0) return;
    const surplus: { lane: Lane; e: Entry; wait?: ShareWaiting }[] = [];
    for (const [, lane] of this.lanes) {
      if (lane.tenantId !== tenantId || this.isOrdered(lane)) continue;
      for (const e of lane.queue) if (excess.has(partitionKeyOf(e.source))) surplus.push({ lane, e });
      // (One let go — its partition was revoked — is the new owner's: not parked from here.)
      for (const wait of lane.shareWaits) if (wait.entry && !wait.entry.letGo && excess.has(partitionKeyOf(wait.entry.source))) surplus.push({ lane, e: wait.entry, wait });
    }
    surplus.sort((a, b) => compareOffsets(b.e.source.offset, a.e.source.offset));
    for (const { lane, e, wait } of surplus) {
      const key = partitionKeyOf(e.source);
      const left = excess.get(key);
      if (!left || (left.n <= 0 && left.bytes <= 0)) continue;
      if (wait) {
        if (!wait.cancel?.()) continue; // handed its share meanwhile: it goes on
      } else {
        const i = lane.queue.indexOf(e);
        if (i < 0) continue;
        lane.queue.splice(i, 1);
      }
      const byCount = left.n > 0;
      const due = byCount ? this.holds.parkUntil(room, gap) : this.bytesParkUntil(tenantId, this.holds.count(tenantId, key) - 1);
      left.n--;
      left.bytes -= e.source.bytes;
      this.park(lane, e, due, byCount ? 'tenant' : 'tenant_bytes');
    }
  }

  private isOrdered(lane: Lane): boolean {
    return lane.pipe !== null || this.endpointOf(lane.subscriptionId)?.deliveryMode === 'ordered';
  }

  /** The lane has no room for one more delivery (`LaneBounds`): when to park it for; null while there is room. */
  private overflowDue(lane: Lane): number | null {
    const { ordered, rate, now, cap, period } = this.measure(lane);
    if (!this.bounds.isFull(lane, period)) return null;
    return this.bounds.parkUntil(lane, period, ordered ? 'ordered' : this.bounds.paceOf(lane, rate, cap, now));
  }

  /**
   * What bounds a lane now (`LaneBounds`): whether its hook keeps order, its rate limit, and on
   * the stall-free clock (`now`) its attempts cap and the period its room is counted in.
   */
  private measure(lane: Lane): { ordered: boolean; rate: number | null; now: number; cap: number; period: number } {
    const ordered = this.isOrdered(lane);
    const rate = this.endpointOf(lane.subscriptionId)?.rateLimitPerSec ?? null;
    const now = this.active();
    const cap = this.hanging.cap(lane, ordered, now);
    return { ordered, rate, now, cap, period: this.bounds.periodMs(lane, rate, cap, now) };
  }

  /**
   * An independent hook's delivery its lane (or its tenant's hold on the partition: `reason`
   * 'tenant' or 'tenant_bytes') has no room for: to the tier for `dueAt`, unattempted (same attempt).
   */
  private park(lane: Lane, e: Entry, dueAt: number, reason?: ParkReason): void {
    const ep = this.endpointOf(lane.subscriptionId);
    const now = this.active();
    const cap = this.hanging.cap(lane, false, now);
    this.metrics.spilled.inc({ reason: reason ?? this.bounds.reason(lane, ep?.rateLimitPerSec ?? null, cap, this.hanging.isHanging(lane, now), now) });
    const tier = retryTierFor(Math.max(0, dueAt - Date.now())).spec;
    this.inBackground(this.writer.forward(tier, e.delivery, dueAt, e.trace).then(e.finish));
  }

  /** The endpoint if it is known and readable (decryption problems surface in the attempt). */
  private endpointOf(id: string): Endpoint | null {
    try {
      const found = this.directory.lookup(id);
      return found.kind === 'found' ? found.endpoint : null;
    } catch {
      return null;
    }
  }

  /** Now on the clock that stands still while this process stalls: the age of running attempts on it is the receivers'. */
  private active(): number {
    return activeNow(this.stalls);
  }

  private pump(lane: Lane): void {
    if (this.stopping) return;
    const cap = this.hanging.cap(lane, this.isOrdered(lane), this.active());
    const next = () => (lane.running < cap ? lane.queue.shift() : undefined);
    for (let entry = next(); entry; entry = next()) {
      lane.running++;
      lane.attempting.add(entry);
      this.start(lane, entry);
    }
    // A burst queued before the lane's pace was known: looked at again once an attempt has run a while.
    if (lane.queue.length > this.settings.laneQueueFloor && !lane.trimTimer) {
      lane.trimTimer = setTimeout(() => {
        lane.trimTimer = undefined;
        this.trim(lane);
      }, this.settings.hangingAfterMs);
      lane.trimTimer.unref();
    }
  }

  /**
   * Parks what the lane queued beyond its room at the pace now known (`LaneBounds.room`): an
   * independent hook's surplus one by one, an ordered hook's (without a pipe) as a new pipe, in
   * order. Deliveries a hook was sent before its receiver turned slow do not hold its partition.
   */
  private trim(lane: Lane): void {
    if (this.stopping || lane.pipe || lane.queue.length <= this.settings.laneQueueFloor) return;
    const { ordered, rate, now, cap, period } = this.measure(lane);
    const room = this.bounds.room(period);
    if (lane.queue.length <= room) return;
    const surplus = lane.queue.splice(room);
    if (!ordered) {
      const pace = this.bounds.paceOf(lane, rate, cap, now);
      for (const e of surplus) this.park(lane, e, this.bounds.parkUntil(lane, period, pace));
      return;
    }
    this.metrics.spilled.inc({ reason: 'ordered' });
    const pipe = this.ordered.open(lane, surplus[0], this.bounds.parkUntil(lane, period, 'ordered'));
    for (const e of surplus.slice(1)) this.ordered.offer(lane, pipe, e);
  }

  /**
   * Starts what `pump` took from the lane (counted as running). The common case — the hook's
   * endpoint known and current, nothing to hop — first waits for its tenant's share of the origin
   * as a plain record (`AttemptRunner.waitForOrigin`), and only then runs: a fan-out's thousands
   * of deliveries waiting for that share cost no suspended async calls each (issue 14's memory).
   * The rest (a snapshot to wait for, a hook gone or inactive, an ordered hop) runs at once.
   */
  private start(lane: Lane, e: Entry): void {
    const ep = this.readyEndpoint(lane, e);
    if (!ep) return this.runThenEnd(lane, e);
    this.attempts.waitForOrigin(lane, e, ep, (since) => {
      if (since !== null) return this.runThenEnd(lane, e, { ep, since });
      // The wait was given up (`trimTenant` parks the delivery): the lane moves on once it did.
      queueMicrotask(() => this.ended(lane, e));
    });
  }

  private runThenEnd(lane: Lane, e: Entry, ready?: { ep: Endpoint; since: number }): void {
    const id = e.delivery.deliveryId;
    void this.run(lane, e, ready)
      .catch((err: Error) => this.logger.error(`delivery ${id} failed unexpectedly: ${err.stack ?? err.message}`))
      .finally(() => this.ended(lane, e));
  }

  /** What `pump` started has ended (sent, parked, given up): the lane's next one may start. */
  private ended(lane: Lane, e: Entry): void {
    lane.running--;
    lane.attempting.delete(e);
    this.trim(lane);
    this.pump(lane);
    this.lanes.dropIfIdle(lane);
  }

  /**
   * The endpoint `run` would find at once for `e` — known, at least the delivery's snapshot
   * version, deliverable — when `run` would attempt it (not an ordered hook's early delivery,
   * which hops); null otherwise (`run` sorts it out).
   */
  private readyEndpoint(lane: Lane, e: Entry): Endpoint | null {
    if (this.dueLater(e) !== null && this.isOrdered(lane)) return null;
    return this.attempts.endpointNow(e.delivery);
  }

  /** `ready`: the endpoint (`readyEndpoint`), with its tenant's share of the origin held since then (`start`). */
  private async run(lane: Lane, e: Entry, ready?: { ep: Endpoint; since: number }): Promise<void> {
    let ep: Endpoint;
    if (ready) ep = ready.ep;
    else {
      // An ordered hook's delivery that came back early (a pipe's head, or a delivery behind it
      // whose pipe moved on): it hops on with everything behind it.
      const dueAt = this.dueLater(e);
      if (dueAt !== null && this.isOrdered(lane)) return this.ordered.hop(lane, e, this.hopTier(dueAt), dueAt);
      const found = await this.attempts.endpointFor(e.delivery);
      if (found.kind === 'unreadable') return this.afterFailure(lane, e, null, new Date(), found.result);
      if (found.kind === 'gone' || found.kind === 'inactive') {
        if (found.kind === 'gone') await this.writer.endWithoutAttempt(e, 'discarded', 'subscription_gone', 'the subscription was deleted');
        else await this.writer.endWithoutAttempt(e, 'discarded', 'subscription_inactive', `the subscription is ${found.status}`);
        return this.ordered.headEnded(lane, e);
      }
      ep = found.endpoint;
    }
    const attempted = await this.attempts.attempt(lane, e, ep, async (result, startedAt) => {
      if (!result.ok) return this.afterFailure(lane, e, ep, startedAt, result);
      const d = e.delivery;
      if (d.origin === 'event') this.metrics.e2eLatency.observe((Date.now() - Date.parse(d.occurredAt)) / 1000);
      // The lane moves on at once; the offset is committable only once the outcome is written.
      this.inBackground(this.writer.outcome(e, 'delivered', result, startedAt).then(e.finish));
      this.ordered.headEnded(lane, e);
    }, ready?.since);
    // Paused, deleted or moved to another origin while it waited for its shares: as if just taken from the lane.
    if (attempted === 'hook-changed') return this.run(lane, e);
  }

  /** A failed attempt: the next tier, or the end of the line (DLQ / discarded). */
  private async afterFailure(lane: Lane, e: Entry, ep: Endpoint | null, startedAt: Date, result: AttemptResult): Promise<void> {
    const decision = decideAfterFailure(e.delivery, ep, result, startedAt);
    const ordered = () => ep?.deliveryMode === 'ordered' || lane.pipe !== null;
    if (decision.kind === 'retry') {
      const { next, tier, dueAt } = decision;
      if (ordered()) return this.ordered.repark(lane, e, next, tier, dueAt, result, startedAt);
      this.inBackground(
        Promise.all([this.writer.forward(tier, next, dueAt, e.trace), this.writer.outcome(e, 'retrying', result, startedAt, new Date(dueAt))]).then(e.finish),
      );
      return;
    }
    const { status, toDlq } = decision;
    await Promise.all([
      this.writer.outcome(e, status, result, startedAt),
      toDlq ? this.deadLetters.delivery(e, `${decision.why}: ${result.errorMessage ?? ''}`, result.errorClass ?? 'http_status', decision.label) : undefined,
    ]);
    e.finish();
    // Procore: after 12 h of failure the queued events are discarded too.
    if (decision.expired && ordered()) await this.ordered.expire(lane, status, toDlq);
    this.ordered.headEnded(lane, e);
  }
}

function compareOffsets(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
