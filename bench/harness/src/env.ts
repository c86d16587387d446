import * as path from 'node:path';
import { ROOT } from './fleet';

/**
 * A numeric knob of a bench run from the environment (`CHAOS_CHANGES`, `SOAK_RATE`, `BENCH_…`):
 * unset or empty is `fallback`; anything that is not a finite number stops the run, naming it.
 */
export function envNumber(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name}=${raw} is not a number`);
  return n;
}

/** Where a benchmark writes its results: bench/results, or BENCH_RESULTS_DIR (short trial runs). */
export const BENCH_RESULTS_DIR = process.env['BENCH_RESULTS_DIR'] ?? path.join(ROOT, 'bench', 'results');
