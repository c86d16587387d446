import { PartitionLedger } from './partition-ledger';
import { hasRoom, isFull, messageBytes } from './tracked-consumer';

/** A partition's ledger holding `sizes` unfinished messages (offsets 0…), as TrackedConsumer.hand does. */
function holding(sizes: number[]): PartitionLedger {
  const l = new PartitionLedger();
  sizes.forEach((bytes, i) => {
    l.add(String(i));
    l.hold(bytes);
  });
  return l;
}

describe('what a partition may hold unfinished (TrackedConsumer backpressure)', () => {
  const bounds = { maxPending: 1_000, maxPendingBytes: 4 * 1024 * 1024 };

  it('is full at the byte bound long before the count: 84 deliveries of 50 KB fill 4 MiB', () => {
    const l = holding(Array.from({ length: 84 }, () => 50_000));
    expect(l.pending).toBe(84);
    expect(l.pendingBytes).toBe(4_200_000);
    expect(isFull(l, bounds)).toBe(true);
    expect(isFull(holding(Array.from({ length: 83 }, () => 50_000)), bounds)).toBe(false);
    expect(isFull(holding(Array.from({ length: 84 }, () => 500)), bounds)).toBe(false);
  });

  it('is full at the count with small messages, whatever their bytes', () => {
    expect(isFull(holding(Array.from({ length: 1_000 }, () => 10)), bounds)).toBe(true);
    expect(isFull(holding(Array.from({ length: 999 }, () => 10)), bounds)).toBe(false);
  });

  it('resumes only once both are down to half: finishing releases the message\'s bytes', () => {
    const l = holding([1_500_000, 1_500_000, 1_500_000]);
    expect(isFull(l, bounds)).toBe(true);
    l.release(1_500_000);
    l.finish('0');
    expect(l.pending).toBe(2);
    expect(l.pendingBytes).toBe(3_000_000);
    expect(hasRoom(l, bounds)).toBe(false); // 2 messages are few, but 3 MB is more than half of 4 MiB
    l.release(1_500_000);
    l.finish('2');
    expect(l.pendingBytes).toBe(1_500_000);
    expect(hasRoom(l, bounds)).toBe(true);
    expect(hasRoom(holding(Array.from({ length: 501 }, () => 1)), bounds)).toBe(false); // over half the count
  });

  it('resumes at the resume bounds when they are set (the dispatcher: the bound less one tenant\'s hold)', () => {
    const threeQuarters = { ...bounds, resumePending: 750, resumeBytes: 3 * 1024 * 1024 };
    const l = holding([1_000_000, 1_000_000, 1_000_000]); // three tenants just under a quarter each
    expect(hasRoom(l, bounds)).toBe(false);
    expect(hasRoom(l, threeQuarters)).toBe(true);
    expect(hasRoom(holding([1_100_000, 1_100_000, 1_100_000]), threeQuarters)).toBe(false);
    expect(hasRoom(holding(Array.from({ length: 750 }, () => 1)), threeQuarters)).toBe(true);
    expect(hasRoom(holding(Array.from({ length: 751 }, () => 1)), threeQuarters)).toBe(false);
  });

  it('a message larger than the bound is taken alone: full after it, room again once it is finished', () => {
    const l = holding([16 * 1024 * 1024]);
    expect(isFull(l, bounds)).toBe(true);
    l.release(16 * 1024 * 1024);
    l.finish('0');
    expect(l.pendingBytes).toBe(0);
    expect(hasRoom(l, bounds)).toBe(true);
    l.release(5); // never below zero
    expect(l.pendingBytes).toBe(0);
  });

  it('counts a message\'s key and value (a tombstone holds its key only)', () => {
    expect(messageBytes({ key: Buffer.from('sub-1'), value: Buffer.alloc(1_000) })).toBe(1_005);
    expect(messageBytes({ key: Buffer.from('sub-1'), value: null })).toBe(5);
    expect(messageBytes({ key: null, value: Buffer.alloc(3) })).toBe(3);
  });
});
