import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as path from 'node:path';
import { ROOT, envNumber as num, runChaos, type ChaosParams, type ChaosResult } from '@herald/bench/harness';
import { chaosMarkdown } from './report';

/*
 * `npm run chaos`: Herald under faults, with a ledger. Loopback only, bounded (it stops by
 * itself, and stops everything it started). Its own PostgreSQL and Kafka (restarted during the
 * run) in .herald/chaos, on ports other than the shared ones. Results: bench/results/chaos.{json,md}
 * (CHAOS_RESULTS=<name> writes bench/results/<name>.{json,md} instead, for before/after runs);
 * bench/chaos/findings.md, what each change bought, is appended to chaos.md.
 */

const params: ChaosParams = {
  label: 'chaos',
  stateDir: path.join(ROOT, '.herald', 'chaos'),
  ownPostgresPort: num('CHAOS_PG_PORT', 54339),
  kafkaPort: num('CHAOS_KAFKA_PORT', 29092),
  kafkaControllerPort: num('CHAOS_KAFKA_CONTROLLER_PORT', 29093),
  kafkaHeap: '-Xmx768m',
  changes: num('CHAOS_CHANGES', 50_000),
  updatesPerChain: 3,
  projects: num('CHAOS_PROJECTS', 20),
  ratePerSec: num('CHAOS_RATE', 80),
  apiConcurrency: num('CHAOS_API_CONCURRENCY', 8),
  replicas: { router: num('CHAOS_ROUTERS', 2), dispatcher: num('CHAOS_DISPATCHERS', 2) },
  killsPerInstance: num('CHAOS_KILLS', 5),
  kafkaRestarts: (process.env['CHAOS_KAFKA_RESTARTS'] ?? 'kill,term').split(',').filter(Boolean) as ('kill' | 'term')[],
  postgresRestarts: num('CHAOS_PG_RESTARTS', 1),
  refuseMs: num('CHAOS_REFUSE_MS', 60_000),
  failFirstAttemptRatio: num('CHAOS_ORDERED_FAIL_RATIO', 0.01),
  drainTimeoutMs: num('CHAOS_DRAIN_MS', 15 * 60_000),
  faultMarginMs: num('CHAOS_FAULT_MARGIN_MS', 20_000),
  minKillSpacingMs: num('CHAOS_KILL_SPACING_MS', 30_000),
  partitionsOverride: process.env['CHAOS_PARTITIONS'] ? num('CHAOS_PARTITIONS', 12) : undefined,
  seed: num('CHAOS_SEED', Date.now() % 1_000_000),
  log: (msg) => process.stdout.write(`[chaos +${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}\n`),
};
const t0 = Date.now();
const FINDINGS = path.join(__dirname, 'findings.md');
const budgetMs = num('CHAOS_BUDGET_MS', 60 * 60_000);

// Interrupted (Ctrl-C, a CI timeout): exit through 'exit', whose hooks kill everything the run started.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

async function main(): Promise<number> {
  // Bounded: a run that outlives its budget is stopped (the harness's exit hooks kill what it started).
  const watchdog = setTimeout(() => {
    params.log(`time budget of ${budgetMs / 60_000} min spent: stopping`);
    process.exit(2);
  }, budgetMs);
  watchdog.unref();
  const result = await runChaos(params);
  clearTimeout(watchdog);
  const name = process.env['CHAOS_RESULTS'] ?? 'chaos';
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify({ ...result, cores: cpus().length }, null, 2)}\n`);
  // What each change bought (runs of their own, before and after): appended to the main result.
  const findings = name === 'chaos' && existsSync(FINDINGS) ? readFileSync(FINDINGS, 'utf8') : '';
  writeFileSync(path.join(dir, `${name}.md`), findings ? `${chaosMarkdown(result)}\n${findings}` : chaosMarkdown(result));
  printLedger(result);
  return result.passed ? 0 : 1;
}

function printLedger(r: ChaosResult): void {
  const l = r.ledger;
  params.log(
    `ledger: committed ${l.changesCommitted}, expected ${l.deliveriesExpected}, delivered ${l.delivered}, duplicates ${l.duplicates} (${(l.duplicateRate * 100).toFixed(3)}%), ` +
      `in DLQ ${l.inDlq}, missing ${l.missing}, order violations ${l.orderViolations}, tiers drained ${r.tiersDrained}`,
  );
  params.log(`duplicates by layer: ${JSON.stringify(r.attribution.byLayer)}`);
  params.log(r.passed ? 'PASS' : `FAIL: ${r.verdict.join('; ')}`);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`chaos: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
