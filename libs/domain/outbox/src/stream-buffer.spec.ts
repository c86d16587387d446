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

describe('StreamBuffer.lingerUntil (the relay lingers only under load)', () => {
  it('a row that finds the relay idle is published at once', () => {
    const b = new StreamBuffer(0n);
    b.pushRow(row('a'));
    b.pushMark(10n);
    expect(b.lingerUntil(500, 10)).toBeUndefined();
  });

  it('rows that arrived while a batch was being published wait for company, from the oldest one\'s arrival', () => {
    const b = new StreamBuffer(0n);
    b.publishing = true;
    b.pushRow(row('a'));
    b.publishing = false;
    b.pushRow(row('b'));
    const oldest = b.oldestReceivedAt();
    expect(oldest).toBeDefined();
    expect(b.lingerUntil(500, 10)).toBe((oldest ?? 0) + 10);
  });

  it('what counts is the oldest row waiting: an idle arrival ahead of busy ones goes at once', () => {
    const b = new StreamBuffer(0n);
    b.pushRow(row('a'));
    b.publishing = true;
    b.pushRow(row('b'));
    expect(b.lingerUntil(500, 10)).toBeUndefined();
    b.take(1); // a leaves; b, which came during a publish, is now the oldest
    expect(b.lingerUntil(500, 10)).toBeDefined();
  });

  it('a full batch, or a wait of 0, never lingers', () => {
    const b = new StreamBuffer(0n);
    b.publishing = true;
    for (const id of ['a', 'b', 'c']) b.pushRow(row(id));
    expect(b.lingerUntil(3, 10)).toBeUndefined();
    expect(b.lingerUntil(4, 0)).toBeUndefined();
    expect(b.lingerUntil(4, 10)).toBeDefined();
  });

  it('nothing waiting: nothing to linger for', () => {
    const b = new StreamBuffer(0n);
    b.publishing = true;
    b.pushMark(5n);
    expect(b.lingerUntil(500, 10)).toBeUndefined();
  });
});
