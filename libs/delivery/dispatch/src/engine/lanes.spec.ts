import { AttemptSlots, Lane, Lanes, SmallSet, heldSource } from './lanes';
import { OrderedPipe } from './ordered-pipe';
import { entryFixture } from './testing';
import { RetryTierTopics, Topics } from '@herald/contracts';

describe('AttemptSlots', () => {
  it('lets `size` holders in at once and serves the others in the order they asked', async () => {
    const slots = new AttemptSlots(2);
    await slots.acquire();
    await slots.acquire();
    const order: string[] = [];
    const third = slots.acquire().then(() => order.push('third'));
    const fourth = slots.acquire().then(() => order.push('fourth'));
    await Promise.resolve();
    expect(order).toEqual([]);
    slots.release();
    await third;
    expect(order).toEqual(['third']);
    slots.release();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
    // Two released with nobody waiting: two free slots again.
    slots.release();
    slots.release();
    await slots.acquire();
    await slots.acquire();
  });
});

describe('Lane', () => {
  it('is idle only with nothing queued, running or parked', () => {
    const lane = new Lane('sub-A');
    expect(lane.idle).toBe(true);
    lane.queue.push(entryFixture());
    expect(lane.idle).toBe(false);
    lane.queue.length = 0;
    lane.running = 1;
    expect(lane.idle).toBe(false);
    lane.running = 0;
    lane.pipe = new OrderedPipe(RetryTierTopics[0], 'd', 2, 0, 1);
    expect(lane.idle).toBe(false);
  });

  it('is hanging when its last attempt timed out or its oldest running attempt is old enough', () => {
    const lane = new Lane('sub-A');
    expect(lane.isHanging(10_000, 1_000)).toBe(false);
    lane.startedAt.add(9_500);
    lane.startedAt.add(8_000);
    expect(lane.oldestRunningMs(10_000)).toBe(2_000);
    expect(lane.isHanging(10_000, 1_000)).toBe(true);
    expect(lane.isHanging(10_000, 5_000)).toBe(false);
    lane.timingOut = true;
    expect(lane.isHanging(10_000, 5_000)).toBe(true);
  });

  it('spaces attempts 1000/perSec ms apart: the first goes at once, the next ones wait their slot', () => {
    const lane = new Lane('sub-A');
    expect(lane.reserveRateSlot(10, 1_000)).toBeLessThanOrEqual(0);
    expect(lane.reserveRateSlot(10, 1_000)).toBe(100);
    expect(lane.reserveRateSlot(10, 1_020)).toBe(180);
    // After a quiet spell the next one goes at once again.
    expect(lane.reserveRateSlot(10, 5_000)).toBeLessThanOrEqual(0);
    expect(lane.reserveRateSlot(2, 5_000)).toBe(100);
  });
});

describe('Lanes', () => {
  it('creates a lane on first use, keeps it while busy and forgets it once idle', () => {
    const lanes = new Lanes();
    const a = lanes.get('sub-A');
    expect(lanes.get('sub-A')).toBe(a);
    a.running = 1;
    lanes.dropIfIdle(a);
    expect([...lanes].map(([id]) => id)).toEqual(['sub-A']);
    a.running = 0;
    lanes.dropIfIdle(a);
    expect([...lanes]).toEqual([]);
    expect(lanes.get('sub-A')).not.toBe(a);
  });

  it('remembers a dropped lane\'s pace for the next lane of its hook', () => {
    const lanes = new Lanes();
    const a = lanes.get('sub-A');
    a.recordAttempt(4_000);
    a.parkedUntil = Date.now() + 60_000;
    lanes.dropIfIdle(a);
    const again = lanes.get('sub-A');
    expect(again).not.toBe(a);
    expect(again).toMatchObject({ attemptMs: 4_000, parkedUntil: a.parkedUntil });
    expect(lanes.get('sub-B').attemptMs).toBe(0);
  });
});

describe('heldSource', () => {
  it('keeps where the message came from, its headers as strings and its weight, and no buffer of the fetched batch', () => {
    const batch = Buffer.from('sub-1{"a":1}delivery.v1' + '1700000000000' + 'x'.repeat(10_000));
    const message = {
      key: batch.subarray(0, 5),
      value: batch.subarray(5, 12),
      headers: { 'herald-schema': batch.subarray(12, 23), 'herald-due-at': [batch.subarray(23, 36)] },
      timestamp: '0',
      attributes: 0,
      offset: '7',
    };
    const held = heldSource({ topic: Topics.Deliveries, partition: 3, offset: '7', message });
    expect(held).toEqual({
      topic: Topics.Deliveries,
      partition: 3,
      offset: '7',
      message: { headers: { 'herald-schema': 'delivery.v1', 'herald-due-at': ['1700000000000'] } },
      bytes: 12,
    });
    const buffers: unknown[] = [];
    const walk = (v: unknown) => {
      if (Buffer.isBuffer(v) || v instanceof ArrayBuffer) buffers.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(held.message);
    expect(buffers).toEqual([]);
  });
});

describe('SmallSet', () => {
  it('is a set: size, has, add (once per member), delete and iteration in insertion order, through none, one and many members', () => {
    const set = new SmallSet<string>();
    expect([set.size, set.has('a'), [...set], set.delete('a')]).toEqual([0, false, [], false]);
    expect(set.add('a').add('a').size).toBe(1);
    expect([set.has('a'), set.has('b'), [...set], set.delete('b')]).toEqual([true, false, ['a'], false]);
    set.add('b').add('c').add('b');
    expect([set.size, [...set], set.has('c')]).toEqual([3, ['a', 'b', 'c'], true]);
    expect(set.delete('a')).toBe(true);
    expect([set.size, [...set], set.has('a')]).toEqual([2, ['b', 'c'], false]);
    set.delete('b');
    set.delete('c');
    expect([set.size, [...set]]).toEqual([0, []]);
    set.add('d');
    expect([set.size, [...set]]).toEqual([1, ['d']]);
    expect(set.delete('d')).toBe(true);
    expect([set.size, [...set]]).toEqual([0, []]);
  });

  it('holds a member that is undefined or 0 like any other', () => {
    const set = new SmallSet<number | undefined>();
    expect(set.has(undefined)).toBe(false);
    set.add(undefined);
    expect([set.size, set.has(undefined), [...set]]).toEqual([1, true, [undefined]]);
    set.add(0);
    expect([set.size, [...set]]).toEqual([2, [undefined, 0]]);
  });
});
