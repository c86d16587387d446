/*
 * The noisy-neighbour section's rounds (issue 12.3): in what order the phases run, and what the
 * report makes of each kind's runs — pure, so that bench/e2e/noisy-rounds.spec.ts can check it.
 *
 * One ~12 s burst per kind moved by ±0.1 between runs of the same code (PostgreSQL's autovacuum,
 * other tenants of the host), so each kind runs once per round, and the report gives the median
 * over rounds beside every round's value and the smallest.
 */

/** A no-neighbour burst: the control every kind is compared with. */
export const NONE = 'none';

/**
 * R rounds of `none, k1, none, k2, …, none`, round r starting at kind r mod K (a rotation: over
 * K rounds each kind runs once at each position of a round), the none bursts shared between
 * neighbours (round r's last is round r+1's first): 1 + R·2K bursts. Each kind's paired control
 * is the mean of the none bursts just before and after it, which takes out any drift that is
 * linear over the three bursts; the rotation spreads the kinds over the run, so that the share of
 * the steady phase (measured once, before all of them) is not one kind's alone to carry the drift.
 */
export function noisyPhaseOrder<K extends string>(kinds: readonly K[], rounds: number): (K | typeof NONE)[] {
  const order: (K | typeof NONE)[] = [NONE];
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < kinds.length; i++) order.push(kinds[(r + i) % kinds.length], NONE);
  return order;
}

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** One run of a kind (a round): where it ran, its healthy rate and its two shares. */
export interface RoundShare {
  /** Its index in the phase order. */
  phaseIndex: number;
  /** Which run of its kind (1, 2, …). */
  round: number;
  rate: number;
  shareOfSteady: number;
  /**
   * Of the no-neighbour bursts just before and after it (their mean; the one there is when only
   * one is): the paired control. Null for `none` itself, and for a phase with no none beside it.
   */
  shareOfAdjacentNone: number | null;
}

/**
 * Each phase's shares, grouped by kind in the order they ran: `phases` is the order, `rates` the
 * healthy deliveries/s of each (same index), `steadyRate` the steady phase's.
 */
export function roundShares(phases: readonly string[], rates: readonly number[], steadyRate: number): Map<string, RoundShare[]> {
  const byKind = new Map<string, RoundShare[]>();
  phases.forEach((kind, i) => {
    const controls =
      kind === NONE ? [] : [i - 1, i + 1].filter((j) => phases[j] === NONE && Number.isFinite(rates[j])).map((j) => rates[j]);
    const runs = byKind.get(kind) ?? [];
    runs.push({
      phaseIndex: i,
      round: runs.length + 1,
      rate: rates[i],
      shareOfSteady: rates[i] / steadyRate,
      shareOfAdjacentNone: controls.length === 0 ? null : rates[i] / (controls.reduce((a, x) => a + x, 0) / controls.length),
    });
    byKind.set(kind, runs);
  });
  return byKind;
}

/** A kind's rounds summed up: the medians the report's verdict uses, and the smallest values. */
export interface RoundsSummary {
  rounds: number;
  medianRate: number;
  medianShareOfSteady: number;
  minShareOfSteady: number;
  /** Null when no round had a paired control. */
  medianShareOfAdjacentNone: number | null;
  minShareOfAdjacentNone: number | null;
}

export function summarizeRounds(runs: readonly RoundShare[]): RoundsSummary {
  const paired = runs.map((r) => r.shareOfAdjacentNone).filter((x): x is number => x !== null);
  return {
    rounds: runs.length,
    medianRate: median(runs.map((r) => r.rate)),
    medianShareOfSteady: median(runs.map((r) => r.shareOfSteady)),
    minShareOfSteady: Math.min(...runs.map((r) => r.shareOfSteady)),
    medianShareOfAdjacentNone: paired.length ? median(paired) : null,
    minShareOfAdjacentNone: paired.length ? Math.min(...paired) : null,
  };
}

const fixed = (x: number, digits: number) => String(Math.round(x * 10 ** digits) / 10 ** digits);

/**
 * A report cell: the median in bold, then each round's value in the order they ran and the
 * smallest — `**0.91** (0.87 · 0.93 · 0.91; min 0.87)`; a single round is just its value; `—`
 * when there is none.
 */
export function roundsCell(values: readonly (number | null)[], digits = 3): string {
  const xs = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (xs.length === 0) return '—';
  if (xs.length === 1) return fixed(xs[0], digits);
  return `**${fixed(median(xs), digits)}** (${xs.map((x) => fixed(x, digits)).join(' · ')}; min ${fixed(Math.min(...xs), digits)})`;
}
