import type { Delivery } from '@herald/contracts';
import { messageBytes, type TrackedMessage } from '@herald/delivery/retry-tiers';
import type { KafkaMessage } from 'kafkajs';
import type { OrderedPipe } from './ordered-pipe';
import type { ShareWait } from './tenant-shares';

/**
 * Where a held delivery came from: its partition and offset, its message's headers (as strings)
 * and what its key and value weighed (`messageBytes`), but not the consumed message itself — its
 * key, value and headers are slices of the whole fetched batch, which one pending delivery would
 * keep in memory (`heldSource`; issue 14, the fan-out's memory).
 */
export interface HeldSource extends Pick<TrackedMessage, 'topic' | 'partition' | 'offset'> {
  message: Pick<KafkaMessage, 'headers'>;
  bytes: number;
}

/** What a delivery keeps of its consumed message while the engine holds it: copies, no slice of the batch. */
export function heldSource(m: TrackedMessage): HeldSource {
  const headers: Record<string, string | string[]> = {};
  for (const [name, raw] of Object.entries(m.message.headers ?? {})) {
    if (raw !== undefined) headers[name] = Array.isArray(raw) ? raw.map(String) : raw.toString();
  }
  return { topic: m.topic, partition: m.partition, offset: m.offset, message: { headers }, bytes: messageBytes(m.message) };
}

/** A delivery the engine holds: where it came from, its trace context, and how to say it is finished. */
export interface Entry {
  delivery: Delivery;
  source: HeldSource;
  /** Trace context (and nothing else) carried to what this delivery produces. */
  trace: Record<string, string>;
  /** Called once the delivery is finished for good here: its offset may then be committed. */
  finish: () => void;
  /**
   * Its source partition went to another dispatcher (`DeliveryEngine.forgetPartitions`): an
   * attempt of it still waiting for its slot is not sent, and it is finished unattempted.
   */
  letGo?: boolean;
}

/** An attempt waiting for its tenant's share: since when, which delivery, and how to give the wait up. */
export interface ShareWaiting extends ShareWait {
  since: number;
  entry?: Entry;
}

/** HTTP attempts in flight across every lane: a counting semaphore, waiters served in order. */
export class AttemptSlots {
  private used = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.used--;
  }
}

/**
 * A set that allocates no table while it holds at most one member (a `Set` of its own beyond
 * that, dropped again once empty). A lane's `startedAt`, `shareWaits` and `attempting` hold none
 * or one most of the time, and a fan-out opens a lane per hook — 10,000 at once: three empty
 * `Set`s were ~450 bytes of each (issue 14, the fan-out's memory).
 */
export class SmallSet<T> implements Iterable<T> {
  private one: T | undefined = undefined;
  private hasOne = false;
  private many: Set<T> | null = null;

  get size(): number {
    return this.many ? this.many.size : this.hasOne ? 1 : 0;
  }

  has(v: T): boolean {
    return this.many ? this.many.has(v) : this.hasOne && this.one === v;
  }

  add(v: T): this {
    if (this.many) this.many.add(v);
    else if (!this.hasOne) {
      this.one = v;
      this.hasOne = true;
    } else if (this.one !== v) {
      this.many = new Set([this.one as T, v]);
      this.one = undefined;
      this.hasOne = false;
    }
    return this;
  }

  delete(v: T): boolean {
    if (this.many) {
      const deleted = this.many.delete(v);
      if (this.many.size === 0) this.many = null;
      return deleted;
    }
    if (!this.hasOne || this.one !== v) return false;
    this.one = undefined;
    this.hasOne = false;
    return true;
  }

  [Symbol.iterator](): Iterator<T> {
    if (this.many) return this.many.values();
    return (this.hasOne ? [this.one as T] : [])[Symbol.iterator]();
  }
}

/** One subscription's deliveries: in order, at most N in flight, rate-limited, with its ordered-mode pipe. */
export class Lane {
  readonly queue: Entry[] = [];
  running = 0;
  /** Start times of running attempts (hanging-receiver detection), one per attempt: see `attemptStarted`. */
  readonly startedAt = new SmallSet<number>();
  /**
   * Attempts waiting for their tenant's share (`TenantShares`), since when (the active clock): the
   * lane's pace counts the wait. `cancel` gives the wait up (its delivery is then not sent: the
   * engine parks it, `TenantHolds`).
   */
  readonly shareWaits = new SmallSet<ShareWaiting>();
  /** The tenant of the hook (of the last delivery offered to the lane; null before the first). */
  tenantId: string | null = null;
  /** The deliveries taken from the queue for an attempt and not yet ended (`running` of them). */
  readonly attempting = new SmallSet<Entry>();
  pipe: OrderedPipe | null = null;
  /** The last attempt timed out; cleared by the next answer. */
  timingOut = false;
  /** How long the lane's attempts take (moving average, ms; 0 before the first one ends). */
  attemptMs = 0;
  /** The due time of the latest delivery parked from this lane (see `LaneBounds`). */
  parkedUntil = 0;
  /** A check of what the lane queued once its pace is known (see `LaneBounds.room`). */
  trimTimer?: NodeJS.Timeout;
  /** When the rate limit lets the next attempt start (epoch ms). */
  nextSlotAt = 0;
  /**
   * The hook's partition number: the same in the deliveries topic and every tier (one key, one
   * partition count), whichever member owns each of them; -1 before the first delivery.
   */
  partition = -1;

  constructor(
    readonly subscriptionId: string,
    /** How long attempts take across every lane (see `Lanes.typical`). */
    readonly typical: TypicalAttempt = { attemptMs: 0 },
  ) {}

  get idle(): boolean {
    return this.queue.length === 0 && this.running === 0 && this.pipe === null;
  }

  /** An attempt took `ms`: folded into `attemptMs`, and into the typical attempt across lanes. */
  recordAttempt(ms: number): void {
    this.attemptMs = this.attemptMs === 0 ? ms : 0.7 * this.attemptMs + 0.3 * ms;
    this.typical.attemptMs = this.typical.attemptMs === 0 ? ms : 0.98 * this.typical.attemptMs + 0.02 * ms;
  }

  isHanging(now: number, afterMs: number): boolean {
    return this.timingOut || this.oldestRunningMs(now) >= afterMs;
  }

  /**
   * Records a running attempt's start and returns its key in `startedAt`, for the attempt to
   * delete when it ends. Two attempts starting in the same millisecond kept one entry, so when one
   * ended the lane looked idle while the other ran: the second gets a key 0.01 ms later
   * (representable at today's epoch milliseconds; the hanging check does not see the difference).
   */
  attemptStarted(at: number): number {
    let key = at;
    while (this.startedAt.has(key)) key += 0.01;
    this.startedAt.add(key);
    return key;
  }

  oldestRunningMs(now: number): number {
    let oldest = now;
    for (const t of this.startedAt) if (t < oldest) oldest = t;
    return now - oldest;
  }

  /** How long the lane's longest waiting attempt has waited for its tenant's share (0: none waits). */
  longestShareWaitMs(now: number): number {
    let oldest = now;
    for (const w of this.shareWaits) if (w.since < oldest) oldest = w.since;
    return Math.max(0, now - oldest);
  }

  /**
   * Books the lane's next attempt under a rate limit of `perSec` attempts a second: how long
   * (ms) the attempt must wait for its slot. Attempts are spaced 1000/perSec ms apart.
   */
  reserveRateSlot(perSec: number, now: number): number {
    const wait = this.nextSlotAt - now;
    this.nextSlotAt = Math.max(now, this.nextSlotAt) + 1000 / perSec;
    return wait;
  }
}

/** How long attempts take across every lane: a moving average over all of them, so mostly over healthy receivers. */
export interface TypicalAttempt {
  attemptMs: number;
}

/** How many idle hooks' pace (`attemptMs`, `parkedUntil`) is remembered. */
export const REMEMBERED_PACES = 10_000;

/**
 * The lanes that hold something: created on first use, dropped once idle. A dropped lane's pace
 * (how long its attempts take, until when it parked, its next rate-limit slot) is remembered for the next one of its hook
 * — a slow receiver is known as slow when its next burst arrives — for the last
 * `REMEMBERED_PACES` hooks.
 */
export class Lanes {
  private readonly lanes = new Map<string, Lane>();
  /** The typical attempt across lanes (a busy machine slows every receiver down alike). */
  readonly typical: TypicalAttempt = { attemptMs: 0 };
  private readonly paces = new Map<string, { attemptMs: number; parkedUntil: number; nextSlotAt: number }>();

  get(subscriptionId: string): Lane {
    let lane = this.lanes.get(subscriptionId);
    if (!lane) {
      this.lanes.set(subscriptionId, (lane = new Lane(subscriptionId, this.typical)));
      const pace = this.paces.get(subscriptionId);
      if (pace) {
        this.paces.delete(subscriptionId);
        lane.attemptMs = pace.attemptMs;
        lane.parkedUntil = pace.parkedUntil;
        lane.nextSlotAt = pace.nextSlotAt;
      }
    }
    return lane;
  }

  /** The lane if it holds something (without creating one). */
  find(subscriptionId: string): Lane | undefined {
    return this.lanes.get(subscriptionId);
  }

  /** Forgets the lane if nothing is queued, running or parked for it. */
  dropIfIdle(lane: Lane): void {
    if (!lane.idle || this.lanes.get(lane.subscriptionId) !== lane) return;
    this.lanes.delete(lane.subscriptionId);
    const now = Date.now();
    if (lane.attemptMs === 0 && lane.parkedUntil <= now && lane.nextSlotAt <= now) return;
    this.paces.set(lane.subscriptionId, { attemptMs: lane.attemptMs, parkedUntil: lane.parkedUntil, nextSlotAt: lane.nextSlotAt });
    if (this.paces.size > REMEMBERED_PACES) this.paces.delete(this.paces.keys().next().value as string);
  }

  /** Forgets the lane whatever it holds (what it held was let go: its partitions went to another dispatcher); attempts running on it end on their own. */
  forget(lane: Lane): void {
    if (this.lanes.get(lane.subscriptionId) === lane) this.lanes.delete(lane.subscriptionId);
  }

  [Symbol.iterator](): IterableIterator<[string, Lane]> {
    return this.lanes.entries();
  }
}
