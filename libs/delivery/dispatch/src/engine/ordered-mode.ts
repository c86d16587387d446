import { Logger } from '@nestjs/common';
import { retryTierDelayMs, type Delivery, type DeliveryStatus, type TopicSpec } from '@herald/contracts';
import { releaseFor } from '@herald/delivery/retry-tiers';
import type { AttemptResult } from '@herald/delivery/sending';
import type { Entry, Lane } from './lanes';
import { OrderedPipe } from './ordered-pipe';
import type { OutcomeWriter } from './outcome-writer';

/** How long a failed head may wait for its followers to come back before the pipe is trusted no more. */
export const DRAIN_GUARD_MS = 120_000;
const EXPIRED = 'the hook expired while this delivery was queued behind its failing head';

/**
 * Ordered mode on a hook's lane (see `OrderedPipe` for the design): routes what arrives while
 * the hook has a pipe, parks a failed head with everything behind it, closes the pipe once the
 * head ended and its followers came back, and ends the queued deliveries of an expired head.
 */
export class OrderedMode {
  private readonly logger = new Logger('DeliveryEngine');

  constructor(
    private readonly writer: OutcomeWriter,
    private readonly guardMs = DRAIN_GUARD_MS,
  ) {}

  /** A delivery of a hook whose pipe is open; true when the lane should be pumped. */
  offer(lane: Lane, pipe: OrderedPipe, e: Entry): boolean {
    const route = pipe.route(e, Date.now());
    switch (route.kind) {
      case 'head':
        lane.queue.unshift(e);
        return true;
      case 'follower':
      case 'expired':
        if (route.kind === 'expired') void this.writer.endWithoutAttempt(e, route.exhaust.status, 'expired', EXPIRED, route.exhaust.toDlq);
        else lane.queue.push(e);
        this.settle(lane);
        return true;
      case 'stale-copy':
        e.finish();
        return false;
      case 'head-lost':
        this.logger.warn(`ordered hook ${lane.subscriptionId}: parked head ${pipe.headId} never came back from ${pipe.headTopic.name}; releasing its pipe`);
        lane.pipe = null;
        lane.queue.push(...pipe.held, e);
        return true;
      case 'forward':
        void this.writer.forward(pipe.headTopic, e.delivery, pipe.dueAt, e.trace, pipe.releaseAt).then(e.finish);
        return false;
      case 'held':
        return true;
      case 'queue':
        lane.queue.push(e);
        return true;
    }
  }

  /** A pipe whose followers all came back releases what it held; it closes once its head ended too. */
  settle(lane: Lane): void {
    const pipe = lane.pipe;
    if (!pipe) return;
    const held = pipe.takeHeldIfDrained();
    if (!held) return;
    lane.queue.push(...held);
    if (pipe.headDone) lane.pipe = null;
  }

  /** The running delivery of an ordered hook ended for good (delivered, discarded, failed). */
  headEnded(lane: Lane, e: Entry): void {
    const pipe = lane.pipe;
    if (!pipe || e.delivery.deliveryId !== pipe.headId) return;
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
   * order, to `tier`, due at `dueAt`; the head's `retrying` outcome is written with them (none
   * when `result` is null: a hop). A head that fails again first waits for its followers still
   * in the current pipe.
   */
  async repark(lane: Lane, e: Entry, next: Delivery, tier: TopicSpec, dueAt: number, result: AttemptResult | null, startedAt: Date): Promise<void> {
    const current = lane.pipe;
    if (current && current.outstanding > 0) {
      await current.followersBack(this.guardMs);
      if (current.outstanding > 0) {
        this.logger.warn(`ordered hook ${lane.subscriptionId}: ${current.outstanding} followers did not come back in time; moving on`);
        current.outstanding = 0;
        this.settle(lane);
      }
    }
    const followers = lane.queue.splice(0);
    if (current) followers.push(...current.held.splice(0));
    const releaseAt = releaseFor(dueAt, retryTierDelayMs(tier) ?? 0);
    lane.pipe = new OrderedPipe(tier, next.deliveryId, next.attempt, dueAt, 1 + followers.length, releaseAt);
    await Promise.all([
      this.writer.forward(tier, next, dueAt, e.trace, releaseAt),
      ...followers.map((f) => this.writer.forward(tier, f.delivery, dueAt, f.trace, releaseAt)),
      result ? this.writer.outcome(e, 'retrying', result, startedAt, new Date(dueAt)) : undefined,
    ]);
    e.finish();
    for (const f of followers) f.finish();
  }

  /** The head expired (max age): what is queued behind it ends the same way, and so will its followers still in the pipe. */
  async expire(lane: Lane, status: DeliveryStatus, toDlq: boolean): Promise<void> {
    const queued = lane.queue.splice(0);
    await Promise.all(queued.map((q) => this.writer.endWithoutAttempt(q, status, 'expired', EXPIRED, toDlq)));
    if (lane.pipe && lane.pipe.outstanding > 0) lane.pipe.exhaust = { status, toDlq };
  }
}
