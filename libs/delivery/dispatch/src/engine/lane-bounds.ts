import { MIN_RATE_LIMIT_PER_SEC } from '@herald/contracts';
import type { Lane } from './lanes';

export interface LaneBoundSettings {
  /** Deliveries a lane may always queue, however slow its receiver. */
  laneQueueFloor: number;
  /** Beyond the floor, a lane queues a delivery only if it would wait at most this long (ms). */
  laneMaxWaitMs: number;
  /**
   * Attempts this long (ms) — or five times the typical attempt across lanes, if more, up to
   * `SLOW_WHATEVER_MS` — make a lane slow; faster ones are never bounded by their attempts'
   * duration (a busy machine slows every receiver down alike, and a healthy hook's burst is its
   * partition's real work).
   */
  slowAttemptMs: number;
}

/** Attempts this long make a lane slow however slow attempts are everywhere (a hanging receiver's, a timeout's). */
export const SLOW_WHATEVER_MS = 1_000;

/**
 * Why a delivery was parked (the `reason` of `herald_delivery_spilled_total`): its lane's pace, or
 * its tenant's hold on the partition (`TenantHolds`) — `tenant` by count, `tenant_bytes` by bytes.
 */
export type ParkReason = 'hanging' | 'slow' | 'rate_limited' | 'tenant' | 'tenant_bytes';

/**
 * How much one hook's lane may hold. Every delivery a lane holds is unfinished, so it counts
 * against its partition's in-flight cap (at which the whole partition pauses, for every hook on
 * it) and holds the partition's committed offset back. A lane whose receiver is slow, hanging or
 * rate-limited would otherwise take in everything its partition brings.
 *
 * The lane's pace is what is known of it: the time between two attempt starts is the larger of
 * the rate limit's spacing (never under `MIN_RATE_LIMIT_PER_SEC`) and — for a slow receiver
 * (`slowAttemptMs`) — the attempts' duration (moving average, or the oldest running attempt's
 * age, or the longest wait of one for its tenant's share, when larger) over the attempts it may
 * run at once. A delivery that would wait longer than `laneMaxWaitMs` behind the `laneQueueFloor`
 * or more already queued is not queued: it is parked — in the retry tier for a wait until the
 * lane should have served what it holds (`parkUntil`), unattempted.
 * A lane that took in a burst before its pace was known (a receiver's first attempts) is
 * trimmed to its `room` once it is: when an attempt ends, or `hangingAfterMs` after the burst.
 * Why the retry tiers rather than a parking topic per hook: they are already keyed by hook, read
 * by every dispatcher with per-partition due times and hops, and rebuilt for ordered hooks after
 * a restart; a topic per hook would mean thousands of topics and a consumer per hook. A healthy
 * hook with a burst keeps all of it: at a few ms an attempt, `laneMaxWaitMs` is thousands of
 * deliveries, beyond the partition's own cap.
 */
export class LaneBounds {
  constructor(private readonly settings: LaneBoundSettings) {}

  /** Milliseconds between two attempt starts of the lane, as far as known now. */
  periodMs(lane: Lane, rateLimitPerSec: number | null, cap: number, now = Date.now()): number {
    const spacing = rateLimitPerSec ? 1000 / Math.max(rateLimitPerSec, MIN_RATE_LIMIT_PER_SEC) : 0;
    // An attempt waiting for its tenant's share (the tenant's other hooks hold it) is as slow as one running that long.
    const attempt = Math.max(lane.attemptMs, lane.startedAt.size > 0 ? lane.oldestRunningMs(now) : 0, lane.longestShareWaitMs(now));
    const slow = attempt >= Math.max(this.settings.slowAttemptMs, Math.min(5 * lane.typical.attemptMs, SLOW_WHATEVER_MS));
    return Math.max(spacing, slow ? attempt / Math.max(1, cap) : 0);
  }

  /** One more delivery would wait too long in the lane. */
  isFull(lane: Lane, periodMs: number): boolean {
    return lane.queue.length >= this.settings.laneQueueFloor && (lane.queue.length + 1) * periodMs > this.settings.laneMaxWaitMs;
  }

  /** How many queued deliveries fit in the lane at this pace (what is queued beyond it is parked). */
  room(periodMs: number): number {
    if (periodMs <= 0) return Number.POSITIVE_INFINITY;
    // isFull(q) ⟺ q ≥ floor and q > laneMaxWaitMs / periodMs − 1: the first q that is full.
    let room = Math.max(this.settings.laneQueueFloor, Math.floor(this.settings.laneMaxWaitMs / periodMs));
    while (room > this.settings.laneQueueFloor && (room * periodMs > this.settings.laneMaxWaitMs)) room--; // float rounding
    return room;
  }

  /**
   * When a delivery parked now is due back: once the lane should have served what it holds. A
   * rate-limited lane's pace is exact, so its parked deliveries are lined up one slot apart
   * after what it parked before (each comes back about when its turn comes). A pace measured
   * from attempt times is an estimate — a receiver's first attempts may be slow, a slow one may
   * recover — so those come back at most `laneMaxWaitMs` on and are parked again if there is
   * still no room; so does an ordered hook's pipe, whose place behind its other pipes is kept
   * by the pipes themselves.
   */
  parkUntil(lane: Lane, periodMs: number, how: 'rate' | 'measured' | 'ordered', now = Date.now()): number {
    const behindQueue = (lane.queue.length + lane.running + 1) * periodMs;
    if (how !== 'rate') return Math.ceil(now + Math.min(behindQueue, this.settings.laneMaxWaitMs));
    const due = Math.ceil(Math.max(now + behindQueue, lane.parkedUntil + periodMs));
    lane.parkedUntil = due;
    return due;
  }

  /** How a lane's pace is known: its rate limit sets it, or its attempts' duration does. */
  paceOf(lane: Lane, rateLimitPerSec: number | null, cap: number, now = Date.now()): 'rate' | 'measured' {
    const spacing = rateLimitPerSec ? 1000 / Math.max(rateLimitPerSec, MIN_RATE_LIMIT_PER_SEC) : 0;
    return spacing > 0 && spacing >= this.periodMs(lane, null, cap, now) ? 'rate' : 'measured';
  }

  reason(lane: Lane, rateLimitPerSec: number | null, cap: number, hanging: boolean, now = Date.now()): ParkReason {
    if (hanging) return 'hanging';
    return this.paceOf(lane, rateLimitPerSec, cap, now) === 'rate' ? 'rate_limited' : 'slow';
  }
}
