import { Topics } from '@herald/contracts';
import { TenantHolds, partitionKeyOf } from './tenant-holds';
import { entryFixture } from './testing';

const holds = () => new TenantHolds({ pendingPerPartitionPerTenant: 250, laneMaxWaitMs: 30_000 });

describe('TenantHolds', () => {
  it('counts each tenant\'s unfinished deliveries per topic-partition, and forgets what holds nothing', () => {
    const h = holds();
    for (let i = 0; i < 251; i++) h.add('A', 'herald.deliveries:0');
    h.add('A', 'herald.deliveries:1');
    h.add('B', 'herald.deliveries:0');
    expect(h.count('A', 'herald.deliveries:0')).toBe(251);
    expect(h.overFloor('A')).toEqual(['herald.deliveries:0']);
    expect(h.overFloor('B')).toEqual([]);
    h.remove('A', 'herald.deliveries:0');
    expect(h.overFloor('A')).toEqual([]);
    h.remove('B', 'herald.deliveries:0');
    h.remove('B', 'herald.deliveries:0'); // once more: nothing goes negative
    expect(h.count('B', 'herald.deliveries:0')).toBe(0);
    h.add('B', 'herald.deliveries:0');
    expect(h.count('B', 'herald.deliveries:0')).toBe(1);
  });

  it('counts the bytes each tenant holds per topic-partition: over its byte hold only beyond it and with more than one delivery there', () => {
    const h = new TenantHolds({ pendingPerPartitionPerTenant: 250, laneMaxWaitMs: 30_000, pendingBytesPerPartitionPerTenant: 1_000 });
    h.add('A', 'd:0', 2_500); // one delivery larger than the hold: held alone
    expect(h.bytes('A', 'd:0')).toBe(2_500);
    expect(h.bytesOver('A', 'd:0')).toBe(0);
    expect(h.overFloor('A')).toEqual([]);
    h.add('A', 'd:0', 0); // a second, of 0 bytes: now over by the first's excess
    expect(h.bytesOver('A', 'd:0')).toBe(1_500);
    expect(h.overFloor('A')).toEqual(['d:0']);
    h.add('A', 'd:1', 600);
    h.add('B', 'd:0', 900);
    expect(h.bytesOver('A', 'd:1')).toBe(0);
    expect(h.bytesOver('B', 'd:0')).toBe(0);
    h.remove('A', 'd:0', 2_500);
    expect(h.bytes('A', 'd:0')).toBe(0);
    expect(h.bytesOver('A', 'd:0')).toBe(0);
    h.remove('A', 'd:0', 0);
    h.remove('A', 'd:1', 600);
    h.remove('A', 'd:1', 600); // once more: nothing goes negative
    expect(h.bytes('A', 'd:1')).toBe(0);
    expect(h.overFloor('A')).toEqual([]);
    // Without a byte hold set, bytes never hold a tenant.
    const none = holds();
    none.add('A', 'd:0', 1e9);
    none.add('A', 'd:0', 1e9);
    expect(none.bytesOver('A', 'd:0')).toBe(0);
  });

  it('a tenant whose attempts end (or none waits) has room for all it holds; one whose attempts do not end keeps its floor', () => {
    const h = holds();
    expect(h.room(0)).toBe(Number.POSITIVE_INFINITY);
    expect(h.room(2)).toBe(15_000); // 2 ms apart: 15,000 are served within 30 s
    expect(h.room(60)).toBe(500);
    expect(h.room(1_000)).toBe(250); // never under the floor
    expect(h.room(Number.MAX_SAFE_INTEGER)).toBe(250);
  });

  it('parks until the tenant should have served what it keeps there, at most laneMaxWaitMs on', () => {
    const h = holds();
    expect(h.parkUntil(250, 40, 1_000)).toBe(11_000);
    expect(h.parkUntil(250, 1_000, 1_000)).toBe(31_000);
  });

  it('keys a partition by topic and number: a tier\'s partition p is not the deliveries topic\'s', () => {
    const e = entryFixture();
    expect(partitionKeyOf(e.source)).toBe(`${Topics.Deliveries.name}:0`);
    const tier = entryFixture(undefined, { ...Topics.Deliveries, name: 'herald.deliveries.retry.5s' });
    expect(partitionKeyOf(tier.source)).not.toBe(partitionKeyOf(e.source));
  });
});
