import { LaneBounds } from './lane-bounds';
import { Lane } from './lanes';
import { entryFixture } from './testing';

const bounds = new LaneBounds({ laneQueueFloor: 4, laneMaxWaitMs: 10_000 });
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

  it('parks each delivery after what the lane holds and after the one parked before it', () => {
    const lane = queued(10);
    lane.running = 1;
    expect(bounds.parkUntil(lane, 1_000, false, 50_000)).toBe(50_000 + 12_000);
    expect(bounds.parkUntil(lane, 1_000, false, 50_010)).toBe(63_000);
    expect(bounds.parkUntil(lane, 1_000, false, 50_020)).toBe(64_000);
    // Once the lane caught up, from now again.
    lane.queue.length = 0;
    lane.running = 0;
    expect(bounds.parkUntil(lane, 1_000, false, 90_000)).toBe(91_000);
  });

  it('parks an ordered hook\'s pipe for what the lane holds, at most laneMaxWaitMs on, whatever it parked before', () => {
    const lane = queued(4);
    lane.parkedUntil = 500_000;
    expect(bounds.parkUntil(lane, 1_000, true, 50_000)).toBe(55_000);
    expect(bounds.parkUntil(lane, 9_000, true, 50_000)).toBe(60_000);
    expect(lane.parkedUntil).toBe(500_000);
  });

  it('names why: hanging, rate-limited (the spacing sets the pace) or slow', () => {
    const lane = new Lane('sub-A');
    lane.recordAttempt(100);
    expect(bounds.reason(lane, null, 4, true)).toBe('hanging');
    expect(bounds.reason(lane, 1, 4, false)).toBe('rate_limited');
    expect(bounds.reason(lane, null, 4, false)).toBe('slow');
  });
});
