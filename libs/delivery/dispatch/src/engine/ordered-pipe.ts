import type { Delivery, DeliveryStatus, TopicSpec } from '@herald/contracts';
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

export interface PipeSeed {
  headTopic: TopicSpec;
  headId: string;
  headAttempt: number;
  dueAt: number;
  releaseAt?: number;
  /** The hook's messages in the pipe, head first, as `[deliveryId, attempt]` (or just how many, when unknown). */
  members: readonly (readonly [string, number])[] | number;
  /**
   * The head's offset in `headTopic` (a pipe rebuilt from the tiers): a copy of one of its
   * members before it there is one a previous owner had not committed past — the member comes
   * back after the head — so it is dropped.
   */
  headOffset?: string;
}

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
 * If the head fails again, it and what the lane holds behind it (followers read back so far)
 * move to a new pipe; what is still to come back of the current pipe is newer and rolls on into
 * the new one as it comes back (`rollTo`), and so do the deliveries that arrived meanwhile
 * (held in memory behind the followers). So a hook's pending deliveries come back in order, and
 * other hooks on the main topic and in the tiers flow on. Everything parked is in Kafka before
 * its source offset is committed.
 *
 * When a partition is assigned (start, rebalance) the pipes are rebuilt from the tier topics (see `OrderedPipeRebuilder`): for
 * each ordered hook, the head is its message with the highest attempt, the pipe is the topic
 * holding it, and `outstanding` counts the hook's messages from the head on. Copies left by
 * uncommitted offsets are either dropped (a stale copy of the head) or forwarded behind the head
 * (at least once, never lost).
 *
 * When the head is exhausted by max age (Procore: 12 h of failure), the followers that were
 * queued behind it end the same way (discarded or DLQ), as Procore discards the queued events;
 * deliveries that arrive afterwards start a fresh cycle.
 *
 * A lane without room (`LaneBounds`: a slow hook, or one whose pipe brings back more than it can
 * serve soon) parks what does not fit in order too: a delivery that finds the lane full opens a
 * new pipe with itself as head (unattempted), which later ones join; followers coming back to a
 * full lane roll on into a next pipe (`rollTo`). A head that comes back is queued behind what
 * the lane still holds. A pipe knows its messages (delivery id, attempt), so the pipes of one
 * hook (its chain, see `OrderedMode`) may share a tier.
 *
 * At N replicas: the deliveries topic and the tiers are read in one co-partitioned group, so a
 * hook's pipe is one process's; a partition assigned to a process waits until its pipes are
 * rebuilt from the tiers (`OrderedPipeRebuilder`), and a partition taken away drops them.
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
  /**
   * Where what is still to come back of this pipe goes on to: the lane had no room for it
   * (`LaneBounds`), or the head failed again and moved to a new pipe with what the lane held.
   * Every later follower, then the deliveries held behind them, are appended to that pipe,
   * which becomes the hook's pipe once this one drained.
   */
  rollTo: OrderedPipe | null = null;
  /** The hook's messages written to this pipe and not yet read back: deliveryId → attempt. */
  private readonly members = new Map<string, number>();
  /** Messages known only by their number (a pipe built from a count): any from `headTopic` is one. */
  private unnamed = 0;
  /** A rebuilt pipe's head offset in `headTopic` (see `PipeSeed.headOffset`). */
  private headOffset: bigint | null = null;

  constructor(
    readonly headTopic: TopicSpec,
    readonly headId: string,
    readonly headAttempt: number,
    /** The head's due time (epoch ms); followers carry it too. */
    readonly dueAt: number,
    /** What is in the pipe already: its members, or how many. */
    members: PipeSeed['members'] = [],
    /**
     * When the tier hands the head over (at most the tier's delay after it was parked); what
     * joins the pipe is handed over with it, right behind it. A head handed over before it is
     * due hops on, and its followers with it (`OrderedMode.hop`).
     */
    readonly releaseAt: number = dueAt,
  ) {
    if (typeof members === 'number') this.unnamed = members;
    else for (const [id, attempt] of members) this.members.set(id, attempt);
  }

  static from(seed: PipeSeed): OrderedPipe {
    const pipe = new OrderedPipe(seed.headTopic, seed.headId, seed.headAttempt, seed.dueAt, seed.members, seed.releaseAt ?? seed.dueAt);
    if (seed.headOffset !== undefined) pipe.headOffset = BigInt(seed.headOffset);
    return pipe;
  }

  /** A copy, left before a rebuilt pipe's head, of a member that comes back after it. */
  private isEarlierCopy(e: Entry): boolean {
    return (
      this.headOffset !== null &&
      e.source.topic.name === this.headTopic.name &&
      this.members.get(e.delivery.deliveryId) === e.delivery.attempt &&
      BigInt(e.source.offset) < this.headOffset
    );
  }

  /** Messages of the hook written to the pipe and not yet read back. */
  get outstanding(): number {
    return this.members.size + this.unnamed;
  }

  /** A delivery written to the pipe (to be read back from it). */
  add(d: Pick<Delivery, 'deliveryId' | 'attempt'>): void {
    this.members.set(d.deliveryId, d.attempt);
  }

  /** Whether this message, read from a retry tier, is one of the pipe's (its own copy, on its tier). */
  has(e: Entry): boolean {
    const d = e.delivery;
    if (e.source.topic.name !== this.headTopic.name) return false;
    if (this.members.get(d.deliveryId) === d.attempt) return true;
    return this.unnamed > 0 && !this.members.has(d.deliveryId);
  }

  /** Whether the pipe holds this delivery: a copy of it read from elsewhere (the main topic, another tier, after a restart) is stale. */
  holds(deliveryId: string): boolean {
    return this.members.has(deliveryId);
  }

  private take(e: Entry): void {
    if (!this.members.delete(e.delivery.deliveryId)) this.unnamed--;
  }

  /** Where a delivery of the hook goes now; counts what comes back from the pipe. */
  route(e: Entry, now: number): PipeRoute {
    const d = e.delivery;
    if (this.isEarlierCopy(e)) return { kind: 'stale-copy' };
    const mine = this.has(e);
    if (mine && !this.headTaken && d.deliveryId === this.headId && d.attempt === this.headAttempt) {
      this.headTaken = true;
      this.take(e);
      return { kind: 'head' };
    }
    if (mine && this.headTaken) {
      this.take(e);
      return this.exhaust ? { kind: 'expired', exhaust: this.exhaust } : { kind: 'follower' };
    }
    if (d.deliveryId === this.headId || (!mine && this.holds(d.deliveryId))) return { kind: 'stale-copy' };
    if (!this.headTaken) {
      if (now > this.dueAt + LOST_HEAD_GRACE_MS) return { kind: 'head-lost' };
      this.add(d);
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
   * are still in the pipe). Clears the expiry.
   */
  takeHeldIfDrained(): Entry[] | null {
    if (this.outstanding > 0) return null;
    const held = this.held.splice(0);
    this.exhaust = null;
    return held;
  }

  /** Its head and every follower came back from the tier. */
  get isBack(): boolean {
    return this.headTaken && this.outstanding === 0;
  }
}
