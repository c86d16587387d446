import { PartitionLedger, decodeFinished, encodeFinished } from './partition-ledger';

/** A ledger that took `added` in that order, then finished `finished`. */
function ledgerWith(added: string[], finished: string[] = []): PartitionLedger {
  const l = new PartitionLedger();
  for (const o of added) l.add(o);
  for (const o of finished) l.finish(o);
  return l;
}

describe('PartitionLedger', () => {
  it('commits only up to the lowest unfinished offset', () => {
    const l = new PartitionLedger();
    for (const o of ['10', '11', '12', '13']) expect(l.add(o)).toBe(true);
    expect(l.commitCandidate()).toBe('10');
    l.finish('12');
    l.finish('11');
    expect(l.commitCandidate()).toBe('10');
    expect(l.pending).toBe(2);
    l.finish('10');
    expect(l.commitCandidate()).toBe('13');
    l.markCommitted('13');
    expect(l.commitCandidate()).toBeNull();
    l.finish('13');
    expect(l.commitCandidate()).toBe('14');
    expect(l.pending).toBe(0);
  });

  it('refuses offsets it has seen (refetch after a resume or rebalance)', () => {
    const l = ledgerWith(['5', '6'], ['5']);
    expect(l.add('5')).toBe(false);
    expect(l.add('6')).toBe(false);
    expect(l.add('7')).toBe(true);
    expect(l.pending).toBe(2);
  });

  it('allows gaps in offsets (compaction, transaction markers)', () => {
    const l = ledgerWith(['1', '4'], ['4']);
    expect(l.commitCandidate()).toBe('1');
    l.finish('1');
    expect(l.commitCandidate()).toBe('5');
  });

  it('records the offsets finished above the committed one in the commit metadata, and commits again when only they change', () => {
    const l = new PartitionLedger();
    for (let o = 10; o < 20; o++) l.add(String(o));
    for (const o of [11, 12, 13, 15, 19]) l.finish(String(o));
    const first = l.nextCommit();
    expect(first?.offset).toBe('10');
    expect([...decodeFinished(10n, first?.metadata)].sort()).toEqual([11n, 12n, 13n, 15n, 19n]);
    l.markCommitted(first!.offset, first!.metadata);
    expect(l.nextCommit()).toBeNull();
    l.finish('16');
    const second = l.nextCommit();
    expect(second?.offset).toBe('10');
    expect([...decodeFinished(10n, second?.metadata)].sort()).toEqual([11n, 12n, 13n, 15n, 16n, 19n]);
    l.markCommitted(second!.offset, second!.metadata);
    l.finish('10');
    expect(l.nextCommit()).toEqual({ offset: '14', metadata: encodeFinished(14n, [15n, 16n, 19n]) });
  });

  it('finishes, without handing them out, the offsets a previous owner recorded as finished', () => {
    const l = new PartitionLedger(decodeFinished(10n, encodeFinished(10n, [11n, 12n, 14n])));
    expect(l.skipIfDone('10')).toBe(false);
    expect(l.add('10')).toBe(true);
    expect(l.skipIfDone('11')).toBe(true);
    expect(l.skipIfDone('12')).toBe(true);
    expect(l.skipIfDone('13')).toBe(false);
    expect(l.add('13')).toBe(true);
    // 14 not fetched yet: still recorded as finished in the next commit.
    expect(l.nextCommit()).toEqual({ offset: '10', metadata: encodeFinished(10n, [11n, 12n, 14n]) });
    l.finish('10');
    expect(l.nextCommit()).toEqual({ offset: '13', metadata: encodeFinished(13n, [14n]) });
    expect(l.skipIfDone('14')).toBe(true);
    l.finish('13');
    expect(l.nextCommit()).toEqual({ offset: '15', metadata: '' });
    expect(l.pending).toBe(0);
  });

  it('encodes runs compactly, keeps under the size limit by leaving runs out, and reads nothing from foreign metadata', () => {
    expect(encodeFinished(100n, [101n, 102n, 103n, 110n])).toBe('herald-done:1:1.3,6.1');
    expect(encodeFinished(100n, [])).toBe('');
    const many = Array.from({ length: 5_000 }, (_, i) => 100n + BigInt(i * 2 + 1)); // 5,000 runs of one
    const encoded = encodeFinished(100n, many, 200);
    expect(encoded.length).toBeLessThanOrEqual(200);
    const back = [...decodeFinished(100n, encoded)];
    expect(back.length).toBeGreaterThan(10);
    expect(back).toEqual(many.slice(0, back.length));
    const contiguous = Array.from({ length: 100_000 }, (_, i) => 7n + BigInt(i));
    expect(decodeFinished(5n, encodeFinished(5n, contiguous)).size).toBe(100_000);
    for (const foreign of [null, '', 'something else', 'herald-done:1:x', 'herald-done:1:1.0', 'herald-done:1:1.3,zz']) {
      expect(decodeFinished(0n, foreign).size).toBe(0);
    }
  });
});

