import type { DeliveryStatus, TopicSpec } from '@herald/contracts';
import type { Entry } from './lanes';

/** Ordered mode: a parked head not seen this long after it was due is taken as lost (retention, manual deletion). */
export const LOST_HEAD_GRACE_MS = 10 * 60_000;

/** How the followers of an expired head end (like the head did). */
export interface Exhaust {
  status: DeliveryStatus;
  toDlq: boolean;
}

/** Where a delivery of a hook with a pipe goes (`OrderedPipe.route`). */
export type PipeRoute =
  /** The parked head came back from the pipe: it is attempted first. */
  | { kind: 'head' }
  /** A follower came back from the pipe: queued behind the head. */
  | { kind: 'follower' }
  /** A follower came back after the head expired: it ends like the head did, unattempted. */
  | { kind: 'expired'; exhaust: Exhaust }
  /** A copy of the head from an older pipe (offsets not committed before a restart): dropped. */
  | { kind: 'stale-copy' }
  /** The head is parked: the delivery joins the end of the pipe (produced to `headTopic`). */
  | { kind: 'forward' }
  /** The parked head never came back: the pipe is given up, its held deliveries queued. */
  | { kind: 'head-lost' }
  /** The head is out but followers are still in the pipe: held in memory behind them. */
  | { kind: 'held' }
  /** The head is out and the pipe is empty: queued as usual. */
  | { kind: 'queue' };

export type PipeSeed = Pick<OrderedPipe, 'headTopic' | 'headId' | 'headAttempt' | 'dueAt' | 'outstanding'> & Partial<Pick<OrderedPipe, 'releaseAt'>>;

/**
 * Ordered mode (Procore): a failing delivery pauses its hook's later deliveries until it
 * succeeds or is discarded — without blocking other hooks on the partition and without losing
 * anything on a restart.
 *
 * Chosen design: the hook's queue continues IN the retry tier topic where its failing head
 * waits (the "pipe"). When the head fails, it and every later delivery of the hook that the
 * dispatcher holds are produced, in order and in one batch, to the tier for the head's delay
 * (same key, so the same partition, the head first). Deliveries of the hook that arrive while
 * the head is parked are forwarded to the end of that same partition. The tier consumer reads
 * the head when it is due, then the followers behind it; they are attempted one at a time.
 * If the head fails again, the hook first waits until every follower still in the pipe has been
 * read back (`outstanding` reaches 0; deliveries arriving meanwhile are held in memory behind
 * them), then moves head + followers together to the next tier. So all of a hook's pending
 * deliveries are always in one topic partition, in order, and other hooks on the main topic and
 * in the tiers flow on. Everything parked is in Kafka before its source offset is committed.
 *
 * After a restart the pipes are rebuilt from the tier topics (see `OrderedPipeRebuilder`): for
 * each ordered hook, the head is its message with the highest attempt, the pipe is the topic
 * holding it, and `outstanding` counts the hook's messages from the head on. Copies left by
 * uncommitted offsets are either dropped (a stale copy of the head) or forwarded behind the head
 * (at least once, never lost).
 *
 * When the head is exhausted by max age (Procore: 12 h of failure), the followers that were
 * queued behind it end the same way (discarded or DLQ), as Procore discards the queued events;
 * deliveries that arrive afterwards start a fresh cycle.
 *
 * Limit: pipes are per process and rebuilt at start only; with several replicas the main topic's
 * and the tiers' partition p may be owned by different replicas (separate groups), so strict
 * order across a rebalance needs a co-partitioning assignor (see the app README).
 *
 * This class is the pipe's state and its transitions, with no I/O; `OrderedMode` applies them
 * to the hook's lane and writes what they call for.
 */
export class OrderedPipe {
  headTaken = false;
  headDone = false;
  /** Deliveries that arrived while followers were still in the pipe: they go after them. */
  held: Entry[] = [];
  /** The head expired: followers read back end like it did. */
  exhaust: Exhaust | null = null;
  private drainWaiters: (() => void)[] = [];

  constructor(
    readonly headTopic: TopicSpec,
    readonly headId: string,
    readonly headAttempt: number,
    /** The head's due time (epoch ms); followers carry it too. */
    readonly dueAt: number,
    /** Messages of the hook produced to `headTopic` and not yet read back. */
    public outstanding: number,
    /**
     * When the tier hands the head over (at most the tier's delay after it was parked); what
     * joins the pipe is handed over with it, right behind it. A head handed over before it is
     * due hops on, and its followers with it (`OrderedMode.hop`).
     */
    readonly releaseAt: number = dueAt,
  ) {}

  static from(seed: PipeSeed): OrderedPipe {
    return new OrderedPipe(seed.headTopic, seed.headId, seed.headAttempt, seed.dueAt, seed.outstanding, seed.releaseAt ?? seed.dueAt);
  }

  /** Where a delivery of the hook goes now; counts what comes back from the pipe. */
  route(e: Entry, now: number): PipeRoute {
    const d = e.delivery;
    const fromPipe = e.source.topic === this.headTopic;
    if (fromPipe && !this.headTaken && d.deliveryId === this.headId && d.attempt === this.headAttempt) {
      this.headTaken = true;
      this.outstanding--;
      return { kind: 'head' };
    }
    if (fromPipe && this.headTaken) {
      this.outstanding--;
      return this.exhaust ? { kind: 'expired', exhaust: this.exhaust } : { kind: 'follower' };
    }
    if (d.deliveryId === this.headId) return { kind: 'stale-copy' };
    if (!this.headTaken) {
      if (now > this.dueAt + LOST_HEAD_GRACE_MS) return { kind: 'head-lost' };
      this.outstanding++;
      return { kind: 'forward' };
    }
    if (this.outstanding > 0) {
      this.held.push(e);
      return { kind: 'held' };
    }
    return { kind: 'queue' };
  }

  /**
   * Once every follower came back: the deliveries held behind them, in order (null while some
   * are still in the pipe). Clears the expiry and wakes a head waiting to move on.
   */
  takeHeldIfDrained(): Entry[] | null {
    if (this.outstanding > 0) return null;
    const held = this.held.splice(0);
    this.exhaust = null;
    for (const w of this.drainWaiters.splice(0)) w();
    return held;
  }

  /** Waits until every follower came back (`takeHeldIfDrained` succeeded) or `guardMs` passed. */
  async followersBack(guardMs: number): Promise<void> {
    if (this.outstanding === 0) return;
    await new Promise<void>((r) => {
      const guard = setTimeout(r, guardMs);
      this.drainWaiters.push(() => {
        clearTimeout(guard);
        r();
      });
    });
  }
}
