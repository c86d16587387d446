import { StreamBuffer } from './logical-replication-relay';
import type { OutboxRow } from './outbox-publisher';

const row = (id: string): OutboxRow => ({ id, aggregateKey: 'k', payload: {}, headers: {}, createdAt: new Date(0) });

describe('StreamBuffer (what the logical relay may confirm)', () => {
  it('confirms only marks whose rows are all in the batch taken', () => {
    const b = new StreamBuffer(10n);
    b.pushRow(row('a'));
    b.pushRow(row('b'));
    b.pushMark(20n); // commit of the transaction a, b
    b.pushRow(row('c'));
    b.pushRow(row('d'));
    b.pushMark(30n);
    const first = b.take(3);
    expect(first.rows.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(first.mark).toBe(20n); // c's commit (30) is not confirmable yet
    const second = b.take(3);
    expect(second.rows.map((r) => r.id)).toEqual(['d']);
    expect(second.mark).toBe(30n);
    expect(b.hasWork).toBe(false);
    expect(b.pendingRows).toBe(0);
  });

  it('ignores marks that do not move forward (keepalives behind a commit, the confirmed position)', () => {
    const b = new StreamBuffer(50n);
    b.pushMark(40n);
    b.pushMark(50n);
    expect(b.hasWork).toBe(false);
    b.pushMark(60n);
    b.pushMark(55n);
    expect(b.take(10)).toEqual({ rows: [], mark: 60n });
  });

  it('a batch cut inside a transaction carries the previous commit only', () => {
    const b = new StreamBuffer(0n);
    for (const id of ['a', 'b', 'c', 'd']) b.pushRow(row(id));
    b.pushMark(100n);
    expect(b.take(2)).toEqual({ rows: [row('a'), row('b')], mark: undefined });
    expect(b.oldestReceivedAt()).toBeDefined();
    expect(b.take(2)).toEqual({ rows: [row('c'), row('d')], mark: 100n });
  });
});
