import { LaneBounds } from './lane-bounds';
import { Lane, Lanes } from './lanes';
import { entryFixture } from './testing';

const bounds = new LaneBounds({ laneQueueFloor: 4, laneMaxWaitMs: 10_000, slowAttemptMs: 250 });
const queued = (n: number, lane = new Lane('sub-A')) => {
  for (let i = 0; i < n; i++) lane.queue.push(entryFixture());
  return lane;
};

describe('LaneBounds', () => {
  it('paces a lane by its rate limit (never under 1/s) or its attempts\' duration over what it may run at once', () => {
    const lane = new Lane('sub-A');
    expect(bounds.periodMs(lane, null, 4)).toBe(0);
    expect(bounds.periodMs(lane, 2, 4)).toBe(500);
    expect(bounds.periodMs(lane, 0.01, 4)).toBe(1_000);
    lane.recordAttempt(4_000);
    expect(bounds.periodMs(lane, null, 4)).toBe(1_000);
    expect(bounds.periodMs(lane, null, 1)).toBe(4_000);
    lane.recordAttempt(0);
    expect(lane.attemptMs).toBeCloseTo(2_800);
    // A running attempt older than the average counts as it is: a receiver that just started hanging.
    const hanging = new Lane('sub-A');
    hanging.startedAt.add(1_000);
    expect(bounds.periodMs(hanging, null, 1, 9_000)).toBe(8_000);
  });

  it('bounds a lane by its attempts only when they are slow: 250 ms, or five times the typical attempt on a busy machine', () => {
    const lanes = new Lanes();
    const fast = lanes.get('sub-fast');
    fast.recordAttempt(20);
    expect(bounds.periodMs(fast, null, 4)).toBe(0); // never full, whatever its burst
    const slow = lanes.get('sub-slow');
    slow.recordAttempt(900);
    expect(bounds.periodMs(slow, null, 4)).toBe(225);
    // Every receiver takes ~300 ms on a starved machine: 900 ms is not slow then; a second is, whatever.
    for (let i = 0; i < 400; i++) fast.recordAttempt(300);
    expect(lanes.typical.attemptMs).toBeGreaterThan(290);
    expect(bounds.periodMs(slow, null, 4)).toBe(0);
    slow.recordAttempt(6_000);
    expect(bounds.periodMs(slow, null, 1)).toBeGreaterThan(1_000);
  });

  it('is full only past the floor and when one more would wait longer than laneMaxWaitMs', () => {
    expect(bounds.isFull(queued(3), 60_000)).toBe(false); // under the floor: always room
    expect(bounds.isFull(queued(4), 1_000)).toBe(false); // 5 s of waiting
    expect(bounds.isFull(queued(9), 1_000)).toBe(false); // 10 s
    expect(bounds.isFull(queued(10), 1_000)).toBe(true); // 11 s
    // A healthy hook with a burst: thousands fit.
    expect(bounds.isFull(queued(2_000), 2)).toBe(false);
  });

  it('has room for the floor, or for what it serves in laneMaxWaitMs at its pace (consistent with isFull)', () => {
    expect(bounds.room(0)).toBe(Number.POSITIVE_INFINITY);
    expect(bounds.room(1_000)).toBe(10);
    expect(bounds.room(60_000)).toBe(4);
    expect(bounds.room(2)).toBe(5_000);
    for (const period of [1, 7, 333, 1_000, 2_500, 9_999]) {
      const room = bounds.room(period);
      expect(bounds.isFull(queued(room - 1), period)).toBe(false);
      expect(bounds.isFull(queued(room), period)).toBe(true);
    }
  });

  it('parks a rate-limited lane\'s deliveries a slot apart, after what it holds and what it parked before', () => {
    const lane = queued(10);
    lane.running = 1;
    expect(bounds.parkUntil(lane, 1_000, 'rate', 50_000)).toBe(50_000 + 12_000);
    expect(bounds.parkUntil(lane, 1_000, 'rate', 50_010)).toBe(63_000);
    expect(bounds.parkUntil(lane, 1_000, 'rate', 50_020)).toBe(64_000);
    // Once the lane caught up, from now again.
    lane.queue.length = 0;
    lane.running = 0;
    expect(bounds.parkUntil(lane, 1_000, 'rate', 90_000)).toBe(91_000);
  });

  it('parks on a measured pace, or an ordered hook\'s pipe, for what the lane holds, at most laneMaxWaitMs on', () => {
    const lane = queued(4);
    lane.parkedUntil = 500_000;
    expect(bounds.parkUntil(lane, 1_000, 'measured', 50_000)).toBe(55_000);
    expect(bounds.parkUntil(lane, 9_000, 'measured', 50_000)).toBe(60_000);
    expect(bounds.parkUntil(lane, 9_000, 'ordered', 50_000)).toBe(60_000);
    expect(lane.parkedUntil).toBe(500_000);
  });

  it('knows a pace set by the rate limit from one measured', () => {
    const lane = new Lane('sub-A');
    lane.recordAttempt(100);
    expect(bounds.paceOf(lane, 1, 4)).toBe('rate');
    expect(bounds.paceOf(lane, null, 4)).toBe('measured');
    lane.recordAttempt(20_000);
    expect(bounds.paceOf(lane, 1, 1)).toBe('measured');
  });

  it('names why: hanging, rate-limited (the spacing sets the pace) or slow', () => {
    const lane = new Lane('sub-A');
    lane.recordAttempt(100);
    expect(bounds.reason(lane, null, 4, true)).toBe('hanging');
    expect(bounds.reason(lane, 1, 4, false)).toBe('rate_limited');
    expect(bounds.reason(lane, null, 4, false)).toBe('slow');
  });
});
