import { Logger } from '@nestjs/common';
import { retryTierDelayMs, retryTierFor, type Delivery, type DeliveryStatus, type TopicSpec } from '@herald/contracts';
import { releaseFor } from '@herald/delivery/retry-tiers';
import type { AttemptResult } from '@herald/delivery/sending';
import type { Entry, Lane } from './lanes';
import { OrderedPipe } from './ordered-pipe';
import type { OutcomeWriter } from './outcome-writer';

const EXPIRED = 'the hook expired while this delivery was queued behind its failing head';

/** When a lane has no room for one more delivery: the due time to park it for; null while there is room. */
export type Overflow = (lane: Lane) => number | null;

/** The hook's pipes: its current one (`lane.pipe`), then each one's `rollTo`. */
function chainOf(lane: Lane): OrderedPipe[] {
  const out: OrderedPipe[] = [];
  for (let p = lane.pipe; p && !out.includes(p); p = p.rollTo) out.push(p);
  return out;
}

/**
 * Ordered mode on a hook's lane (see `OrderedPipe` for the design): routes what arrives while
 * the hook has a pipe, parks a failed head with everything behind it, closes the pipe once the
 * head ended and its followers came back, ends the queued deliveries of an expired head, and
 * parks — in order, as pipes — what a full lane cannot take (`overflow`).
 *
 * A hook's pipes form a chain: the current one (`lane.pipe`) and, through `rollTo`, the pipes
 * into which what is still to come back of it goes. Whatever a pipe holds when something is
 * rolled on into the next one is older than that, so the next pipe's own messages may be sent
 * as soon as they come back; what is rolled on is appended behind them. Nothing ever waits for
 * a pipe to come back. Each pipe knows its messages (delivery id and attempt), so what comes
 * back is told apart whatever tier it is on, and a copy read again from the main topic after a
 * restart is dropped while the pipe holds it.
 */
export class OrderedMode {
  private readonly logger = new Logger('DeliveryEngine');

  constructor(
    private readonly writer: OutcomeWriter,
    private readonly overflow: Overflow = () => null,
  ) {}

  /** A delivery of a hook whose pipe is open; true when the lane should be pumped. */
  offer(lane: Lane, front: OrderedPipe, e: Entry): boolean {
    const owner = this.ownerOf(lane, e);
    // Read again from elsewhere (the main topic, another tier: after a restart) while a pipe holds it: that copy goes on.
    if (!owner && !front.has(e) && chainOf(lane).some((p) => p.holds(e.delivery.deliveryId))) {
      e.finish();
      return false;
    }
    const pipe = owner ?? front;
    const route = pipe.route(e, Date.now());
    switch (route.kind) {
      case 'head':
        // Behind what the lane still holds: a pipe opened by a full lane comes back while older
        // deliveries may still be queued (a failed head's pipe finds the queue empty).
        if (pipe.rollTo) this.join(pipe.rollTo, e);
        else lane.queue.push(e);
        this.settle(lane);
        return true;
      case 'follower':
      case 'expired':
        if (route.kind === 'expired') void this.writer.endWithoutAttempt(e, route.exhaust.status, 'expired', EXPIRED, route.exhaust.toDlq);
        else this.follow(lane, pipe, e);
        this.settle(lane);
        return true;
      case 'stale-copy':
        e.finish();
        return false;
      case 'head-lost':
        this.logger.warn(`ordered hook ${lane.subscriptionId}: parked head ${pipe.headId} never came back from ${pipe.headTopic.name}; releasing its pipe`);
        lane.pipe = pipe.rollTo;
        lane.queue.push(...pipe.held, e);
        return true;
      case 'forward':
        this.send(pipe, e); // counted by the route
        return false;
      case 'held':
        return true;
      case 'queue': {
        // The pipe is back and its head still running: a full lane parks this one as a new pipe.
        const due = this.overflow(lane);
        if (due === null) lane.queue.push(e);
        else this.open(lane, e, due);
        return true;
      }
    }
  }

  /**
   * The pipe further down the chain a message comes back from (null: the current pipe's, or
   * none's). Pipes know their messages, so a hook's pipes may share a tier.
   */
  private ownerOf(lane: Lane, e: Entry): OrderedPipe | null {
    for (const p of chainOf(lane)) if (p.has(e)) return p === lane.pipe ? null : p;
    return null;
  }

  /**
   * A delivery of an ordered hook whose lane is full (`overflow` gave its due time) and whose
   * pipe, if any, is back: parked, unattempted, as the head of a new pipe that later deliveries join.
   */
  open(lane: Lane, e: Entry, dueAt: number): OrderedPipe {
    const pipe = this.newPipe(e.delivery, dueAt, Math.max(0, dueAt - Date.now()));
    lane.pipe = pipe;
    this.join(pipe, e);
    return pipe;
  }

  /** A follower came back: into the lane, or — once the lane is full, and for every later one — on into the next pipe. */
  private follow(lane: Lane, pipe: OrderedPipe, e: Entry): void {
    if (!pipe.rollTo) {
      const due = this.overflow(lane);
      if (due !== null) pipe.rollTo = this.newPipe(e.delivery, due, Math.max(0, due - Date.now()));
    }
    if (pipe.rollTo) this.join(pipe.rollTo, e);
    else lane.queue.push(e);
  }

  /** An empty pipe headed by `head`, due at `dueAt`, in the tier for `waitMs`. */
  private newPipe(head: Delivery, dueAt: number, waitMs: number): OrderedPipe {
    const tier = retryTierFor(waitMs).spec;
    return new OrderedPipe(tier, head.deliveryId, head.attempt, dueAt, [], releaseFor(dueAt, retryTierDelayMs(tier) ?? 0));
  }

  /** To the end of `pipe`, counted there. */
  private join(pipe: OrderedPipe, e: Entry): void {
    pipe.add(e.delivery);
    this.send(pipe, e);
  }

  /** Written to the end of `pipe` (with its due and release times); finished once written. */
  private send(pipe: OrderedPipe, e: Entry): void {
    void this.writer.forward(pipe.headTopic, e.delivery, pipe.dueAt, e.trace, pipe.releaseAt).then(e.finish);
  }

  /**
   * A pipe whose followers all came back releases what it held — into the lane, or into the
   * pipe it rolled on into, which then becomes the hook's pipe; it closes once its head ended too.
   */
  settle(lane: Lane): void {
    for (;;) {
      const pipe = lane.pipe;
      if (!pipe) return;
      const held = pipe.takeHeldIfDrained();
      if (!held) return;
      if (pipe.rollTo && pipe.headTaken) {
        lane.pipe = pipe.rollTo;
        for (const h of held) this.join(pipe.rollTo, h);
        continue;
      }
      lane.queue.push(...held);
      if (pipe.headDone) lane.pipe = null;
      return;
    }
  }

  /** A delivery of an ordered hook ended for good (delivered, discarded, failed): its pipe's head, maybe. */
  headEnded(lane: Lane, e: Entry): void {
    const pipe = chainOf(lane).find((p) => p.headId === e.delivery.deliveryId && p.headTaken);
    if (!pipe) return;
    pipe.headDone = true;
    this.settle(lane);
  }

  /**
   * The head came back from its tier before it was due (its wait is longer than the tier's
   * delay): it and everything behind it hop on, in order, to the tier of what is left of the
   * wait — a repark without an attempt (no outcome; the attempt number stays).
   */
  hop(lane: Lane, e: Entry, tier: TopicSpec, dueAt: number): Promise<void> {
    return this.repark(lane, e, e.delivery, tier, dueAt, null, new Date());
  }

  /**
   * The failed head (as `next`, its next attempt) and everything queued behind it move, in
   * order, to a new pipe in `tier`, due at
   * `dueAt`; the head's `retrying` outcome is written with them (none when `result` is null: a
   * hop). Whatever of the hook is still to come back from a tier is newer: the last pipe of the
   * chain rolls on into the new one, so it comes back behind them.
   */
  async repark(lane: Lane, e: Entry, next: Delivery, tier: TopicSpec, dueAt: number, result: AttemptResult | null, startedAt: Date): Promise<void> {
    const chain = chainOf(lane);
    const out = chain.filter((p) => !p.isBack);
    const followers = lane.queue.splice(0);
    // Nothing of the hook in a tier: held deliveries (none, unless its pipe is back) follow.
    if (out.length === 0 && lane.pipe) followers.push(...lane.pipe.held.splice(0));
    const members = [next, ...followers.map((f) => f.delivery)].map((d) => [d.deliveryId, d.attempt] as const);
    const pipe = new OrderedPipe(tier, next.deliveryId, next.attempt, dueAt, members, releaseFor(dueAt, retryTierDelayMs(tier) ?? 0));
    if (out.length === 0) lane.pipe = pipe;
    else chain[chain.length - 1].rollTo = pipe;
    await Promise.all([
      this.writer.forward(pipe.headTopic, next, dueAt, e.trace, pipe.releaseAt),
      ...followers.map((f) => this.writer.forward(pipe.headTopic, f.delivery, dueAt, f.trace, pipe.releaseAt)),
      result ? this.writer.outcome(e, 'retrying', result, startedAt, new Date(dueAt)) : undefined,
    ]);
    e.finish();
    for (const f of followers) f.finish();
  }

  /** The head expired (max age): what is queued behind it ends the same way, and so will its followers still in the pipes. */
  async expire(lane: Lane, status: DeliveryStatus, toDlq: boolean): Promise<void> {
    const queued = lane.queue.splice(0);
    await Promise.all(queued.map((q) => this.writer.endWithoutAttempt(q, status, 'expired', EXPIRED, toDlq)));
    for (const p of chainOf(lane)) if (p.outstanding > 0) p.exhaust = { status, toDlq };
  }
}
