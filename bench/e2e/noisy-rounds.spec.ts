import { median, noisyPhaseOrder, roundShares, roundsCell, summarizeRounds } from './noisy-rounds';

const KINDS = ['hanging', 'slow', 'rate-limited', 'ordered-failing'] as const;

describe('noisyPhaseOrder', () => {
  it('runs R rounds of none, k, none, …, each round starting one kind later, the none bursts shared', () => {
    expect(noisyPhaseOrder(KINDS, 2)).toEqual([
      'none', 'hanging', 'none', 'slow', 'none', 'rate-limited', 'none', 'ordered-failing',
      'none', 'slow', 'none', 'rate-limited', 'none', 'ordered-failing', 'none', 'hanging', 'none',
    ]);
    expect(noisyPhaseOrder(KINDS, 1)).toEqual(['none', 'hanging', 'none', 'slow', 'none', 'rate-limited', 'none', 'ordered-failing', 'none']);
    expect(noisyPhaseOrder(KINDS, 3)).toHaveLength(1 + 3 * 8);
  });

  it('over as many rounds as kinds, puts every kind once at every position of a round (the same mean place in the run)', () => {
    const order = noisyPhaseOrder(KINDS, KINDS.length);
    const kindsOnly = order.filter((k) => k !== 'none');
    for (const k of KINDS) {
      const positions = kindsOnly.flatMap((x, i) => (x === k ? [i % KINDS.length] : []));
      expect(positions.sort()).toEqual([0, 1, 2, 3]);
    }
    // every kind between two none bursts
    order.forEach((k, i) => {
      if (k !== 'none') expect([order[i - 1], order[i + 1]]).toEqual(['none', 'none']);
    });
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([0.9, 0.7, 1.0])).toBe(0.9);
    expect(median([1, 4, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('roundShares', () => {
  it('gives each run of a kind the mean of the none bursts beside it as its control, which takes out a linear drift', () => {
    // The system slows by 3 % a burst; beside a bad neighbour the healthy rate is 0.8 of what a
    // none burst would have had at that moment.
    const order = noisyPhaseOrder(KINDS, 2);
    const rates = order.map((k, i) => 1000 * (1 - 0.03 * i) * (k === 'none' ? 1 : 0.8));
    const shares = roundShares(order, rates, 1000);
    for (const k of KINDS) {
      const runs = shares.get(k) ?? [];
      expect(runs.map((r) => r.round)).toEqual([1, 2]);
      for (const r of runs) expect(r.shareOfAdjacentNone).toBeCloseTo(0.8, 10);
      // the share of steady carries the drift: the later run is lower
      expect(runs[1].shareOfSteady).toBeLessThan(runs[0].shareOfSteady);
    }
    const none = shares.get('none') ?? [];
    expect(none).toHaveLength(9);
    expect(none.every((r) => r.shareOfAdjacentNone === null)).toBe(true);
    expect(none[0].shareOfSteady).toBe(1);
  });

  it('uses the one none burst there is, and none when a kind has no none beside it', () => {
    const shares = roundShares(['none', 'hanging', 'slow', 'none', 'slow'], [1000, 800, 900, 500, 450], 1000);
    expect(shares.get('hanging')?.[0].shareOfAdjacentNone).toBe(0.8);
    expect(shares.get('slow')?.map((r) => r.shareOfAdjacentNone)).toEqual([1.8, 0.9]);
    expect(roundShares(['hanging', 'slow'], [800, 900], 1000).get('slow')?.[0].shareOfAdjacentNone).toBeNull();
  });
});

describe('summarizeRounds', () => {
  it('gives the medians and the smallest of the shares over the rounds', () => {
    const order = ['none', 'hanging', 'none', 'hanging', 'none', 'hanging', 'none'];
    const rates = [1000, 736, 1000, 1000, 1000, 829, 1000];
    const s = summarizeRounds(roundShares(order, rates, 1000).get('hanging') ?? []);
    expect(s).toEqual({
      rounds: 3,
      medianRate: 829,
      medianShareOfSteady: 0.829,
      minShareOfSteady: 0.736,
      medianShareOfAdjacentNone: 0.829,
      minShareOfAdjacentNone: 0.736,
    });
    expect(summarizeRounds(roundShares(['none', 'none'], [1000, 900], 1000).get('none') ?? [])).toMatchObject({
      medianShareOfSteady: 0.95,
      medianShareOfAdjacentNone: null,
      minShareOfAdjacentNone: null,
    });
  });
});

describe('roundsCell', () => {
  it('shows the median in bold, each round in the order run, and the smallest', () => {
    expect(roundsCell([0.736, 1, 0.829])).toBe('**0.829** (0.736 · 1 · 0.829; min 0.736)');
    expect(roundsCell([0.9])).toBe('0.9');
    expect(roundsCell([null, null])).toBe('—');
    expect(roundsCell([0.91234, null, 0.95], 2)).toBe('**0.93** (0.91 · 0.95; min 0.91)');
  });
});
