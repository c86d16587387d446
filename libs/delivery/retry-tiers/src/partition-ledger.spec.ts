import { PartitionLedger } from './partition-ledger';

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
    const l = new PartitionLedger();
    l.add('5');
    l.add('6');
    l.finish('5');
    expect(l.add('5')).toBe(false);
    expect(l.add('6')).toBe(false);
    expect(l.add('7')).toBe(true);
    expect(l.pending).toBe(2);
  });

  it('allows gaps in offsets (compaction, transaction markers)', () => {
    const l = new PartitionLedger();
    l.add('1');
    l.add('4');
    l.finish('4');
    expect(l.commitCandidate()).toBe('1');
    l.finish('1');
    expect(l.commitCandidate()).toBe('5');
  });
});
