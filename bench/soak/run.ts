import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import {
  ApiLoad,
  BusLoad,
  ROOT,
  ServiceSampler,
  Stack,
  awaitDueDeliveries,
  chainLength,
  computeLedger,
  envNumber as num,
  groupLags,
  median,
  percentile,
  servicesFrom,
  slope,
  stopStack,
  type GroupLag,
  type Ledger,
  type RunVerdict,
  type ServiceSample,
} from '@herald/bench/harness';

/*
 * `npm run soak`: the full path at a steady rate for a long while, watching each service from
 * inside (event-loop delay p99 from its /metrics, RSS from /proc) and the consumer groups' lag.
 * A warm-up first (not judged), then `SOAK_MINUTES` at the same rate. Pass: RSS growth per
 * service ≤ 5% from the end of the warm-up to the end (medians of a window each, so one GC does
 * not decide), event-loop p99 ≤ 100 ms, consumer lag bounded (its maximum after the warm-up is
 * under SOAK_LAG_BOUND and it does not trend up), and the ledger balances. Loopback only,
 * bounded, its own PostgreSQL and Kafka in .herald/soak. Results: bench/results/soak.{json,md}.
 */

const P = {
  minutes: num('SOAK_MINUTES', 10),
  warmupMinutes: num('SOAK_WARMUP_MINUTES', 2),
  ratePerSec: num('SOAK_RATE', 40),
  /** Window (s) whose median RSS stands for "end of warm-up" and for "end". */
  windowSeconds: num('SOAK_WINDOW_SECONDS', 60),
  lagBound: num('SOAK_LAG_BOUND', 2_000),
  drainMs: num('SOAK_DRAIN_MS', 5 * 60_000),
  sampleMs: num('SOAK_SAMPLE_MS', 5_000),
};
const t0 = Date.now();
const log = (msg: string) => process.stdout.write(`[soak +${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ServiceVerdict {
  service: string;
  rssWarmMb: number;
  rssEndMb: number;
  rssPeakMb: number;
  rssGrowthPct: number;
  eventLoopP99MaxMs: number;
  eventLoopP99OfIntervalsMs: number;
  eventLoopP99MedianMs: number;
  consumerLagMax: number | null;
}

interface SoakResult extends RunVerdict {
  startedAt: string;
  durationSeconds: number;
  servicesFrom: 'build' | 'source';
  parameters: typeof P;
  loadAverage: { start: number; max: number; end: number };
  cores: number;
  changesCommitted: number;
  achievedRatePerSec: number;
  services: ServiceVerdict[];
  groupLag: { label: string; maxAfterWarmup: number; final: number; slopePerMinute: number }[];
  ledger: Ledger;
  samples: Record<string, ServiceSample[]>;
  groupLagSamples: { t: number; lags: Record<string, number> }[];
}

// Interrupted (Ctrl-C, a CI timeout): exit through 'exit', whose hooks kill everything the run started.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

async function main(): Promise<number> {
  const loadStart = loadavg()[0];
  let loadMax = loadStart;
  const loadTimer = setInterval(() => (loadMax = Math.max(loadMax, loadavg()[0])), 5_000);
  const budgetMs = (P.minutes + P.warmupMinutes) * 60_000 + P.drainMs + 10 * 60_000;
  const watchdog = setTimeout(() => {
    log(`time budget of ${Math.round(budgetMs / 60_000)} min spent: stopping`);
    process.exit(2);
  }, budgetMs);
  watchdog.unref();
  let stack: Stack | undefined;
  let result: SoakResult | undefined;
  try {
    stack = await Stack.start({
      label: 'soak',
      stateDir: path.join(ROOT, '.herald', 'soak'),
      ownPostgresPort: num('SOAK_PG_PORT', 54349),
      kafkaPort: num('SOAK_KAFKA_PORT', 29192),
      kafkaControllerPort: num('SOAK_KAFKA_CONTROLLER_PORT', 29193),
      kafkaHeap: '-Xmx768m',
      replicas: { router: 1, dispatcher: 1 },
      projects: 20,
      failFirstAttemptRatio: 0,
      log,
    });
    const { fleet, infra, receivers } = stack;
    if (!fleet || !infra || !receivers) throw new Error('the stack did not start');
    const { scenario, namespace } = stack;
    const sampler = new ServiceSampler(() => {
      const pids = fleet.pids();
      return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, { pid, url: fleet.url(name) }]));
    }, P.sampleMs);

    const totalMs = (P.minutes + P.warmupMinutes) * 60_000;
    const chains = Math.ceil(((P.ratePerSec * totalMs) / 1000 / chainLength(3)) * 1.1) + 10;
    const plan = { chains: Math.ceil(chains / 2), updates: 3, projects: scenario.projects };
    const api = new ApiLoad(() => fleet.urlOf('domain-api'), scenario.tenant, plan, { ratePerSec: P.ratePerSec / 2, concurrency: 8 });
    const bus = new BusLoad(() => infra.kafkaBrokers, namespace, scenario.tenant, plan, { ratePerSec: P.ratePerSec / 2, activeChains: Math.max(8, P.ratePerSec / 2) });

    const kafka = new Kafka({ clientId: 'herald-soak', brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const groupLagSamples: SoakResult['groupLagSamples'] = [];
    const lagTimer = setInterval(() => {
      void groupLags(admin, namespace)
        .then((lags: GroupLag[]) => groupLagSamples.push({ t: sampler.elapsedMs(), lags: Object.fromEntries(lags.filter((l) => l.produced > 0).map((l) => [l.label, l.lag])) }))
        .catch(() => undefined);
    }, 10_000);

    log(`steady load: ${P.ratePerSec} changes/s (half domain API, half bus) for ${P.warmupMinutes} min warm-up + ${P.minutes} min`);
    sampler.start();
    const feedStart = Date.now();
    const feeding = Promise.all([api.run(), bus.run()]);
    const progress = setInterval(() => {
      const last = Object.entries(sampler.samples).map(([n, s]) => `${n.split('#')[0]} ${s[s.length - 1]?.rssMb ?? '?'} MB/${s[s.length - 1]?.eventLoopP99Ms ?? '?'} ms`);
      log(`committed ${api.stats.committed + bus.stats.committed}; ${last.join(', ')}; load ${loadavg()[0].toFixed(2)}`);
    }, 30_000);
    await sleep(totalMs);
    api.stop();
    bus.stop();
    await feeding;
    const feedSeconds = (Date.now() - feedStart) / 1000;
    const sampledUntil = sampler.elapsedMs();
    sampler.stop();
    clearInterval(progress);
    log('load stopped; draining');

    const changes = [...api.changes, ...bus.changes];
    await awaitDueDeliveries(receivers, scenario.hooks, changes, P.drainMs, log);
    clearInterval(lagTimer);
    const finalLags = await groupLags(admin, namespace);
    await admin.disconnect();
    const dump = await receivers.dump(path.join(ROOT, '.herald', 'soak'));
    const ledger = computeLedger({ changes, hooks: scenario.hooks, arrivals: dump.arrivals, dlq: [], setupResourceIds: scenario.projects });

    // Verdicts.
    const warmEnd = P.warmupMinutes * 60_000;
    const windowMs = P.windowSeconds * 1000;
    const services: ServiceVerdict[] = Object.entries(sampler.samples).map(([service, s]) => {
      const after = s.filter((x) => x.t >= warmEnd);
      const rssWarm = median(s.filter((x) => x.t >= warmEnd - windowMs && x.t <= warmEnd).map((x) => x.rssMb));
      const rssEnd = median(s.filter((x) => x.t >= sampledUntil - windowMs).map((x) => x.rssMb));
      const loops = after.map((x) => x.eventLoopP99Ms);
      return {
        service,
        rssWarmMb: round1(rssWarm),
        rssEndMb: round1(rssEnd),
        rssPeakMb: Math.max(...s.map((x) => x.rssMb)),
        rssGrowthPct: Math.round(((rssEnd - rssWarm) / rssWarm) * 1000) / 10,
        eventLoopP99MaxMs: round1(Math.max(...loops.filter(Number.isFinite))),
        eventLoopP99OfIntervalsMs: round1(percentile(loops, 99)),
        eventLoopP99MedianMs: round1(median(loops)),
        consumerLagMax: after.some((x) => Number.isFinite(x.consumerLag)) ? Math.max(...after.map((x) => x.consumerLag).filter(Number.isFinite)) : null,
      };
    });
    const labels = [...new Set(groupLagSamples.flatMap((g) => Object.keys(g.lags)))];
    const groupLag = labels.map((label) => {
      const points = groupLagSamples.filter((g) => g.t >= warmEnd && g.lags[label] !== undefined).map((g) => ({ x: g.t / 60_000, y: g.lags[label] }));
      return {
        label,
        maxAfterWarmup: Math.max(0, ...points.map((p) => p.y)),
        final: finalLags.find((l) => l.label === label)?.lag ?? NaN,
        slopePerMinute: Math.round(slope(points) * 10) / 10,
      };
    });
    const verdict: string[] = [];
    for (const s of services) {
      if (!(s.rssGrowthPct <= 5)) verdict.push(`${s.service} RSS grew ${s.rssGrowthPct}% after warm-up`);
      if (!(s.eventLoopP99OfIntervalsMs <= 100)) verdict.push(`${s.service} event-loop p99 ${s.eventLoopP99OfIntervalsMs} ms`);
    }
    for (const g of groupLag) {
      if (g.maxAfterWarmup > P.lagBound) verdict.push(`${g.label} lag reached ${g.maxAfterWarmup} (> ${P.lagBound})`);
      if (g.final !== 0) verdict.push(`${g.label} lag ${g.final} after the drain`);
    }
    if (ledger.missing !== 0) verdict.push(`${ledger.missing} deliveries missing`);
    const committed = changes.filter((c) => c.committedAt !== undefined).length;
    result = {
      startedAt: new Date(t0).toISOString(),
      durationSeconds: 0,
      servicesFrom: servicesFrom(),
      parameters: P,
      loadAverage: { start: 0, max: 0, end: 0 },
      cores: cpus().length,
      changesCommitted: committed,
      achievedRatePerSec: Math.round((committed / feedSeconds) * 10) / 10,
      services,
      groupLag,
      ledger,
      samples: sampler.samples,
      groupLagSamples,
      passed: verdict.length === 0,
      verdict,
      leftBehind: [],
    };
  } finally {
    clearInterval(loadTimer);
    await stopStack(stack, log, result);
  }
  clearTimeout(watchdog);
  result.durationSeconds = Math.round((Date.now() - t0) / 1000);
  result.loadAverage = { start: round2(loadStart), max: round2(Math.max(loadMax, loadavg()[0])), end: round2(loadavg()[0]) };
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const name = process.env['SOAK_RESULTS'] ?? 'soak';
  writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(dir, `${name}.md`), markdown(result));
  for (const s of result.services) log(`${s.service}: RSS ${s.rssWarmMb} → ${s.rssEndMb} MB (${s.rssGrowthPct}%), event-loop p99 ${s.eventLoopP99OfIntervalsMs} ms (max ${s.eventLoopP99MaxMs})`);
  log(result.passed ? 'PASS' : `FAIL: ${result.verdict.join('; ')}`);
  return result.passed ? 0 : 1;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round1 = (n: number) => Math.round(n * 10) / 10;

function markdown(r: SoakResult): string {
  const l = r.ledger;
  const lines = [
    `# Herald soak (${r.startedAt}, ${r.durationSeconds} s, loopback)`,
    '',
    `**${r.passed ? 'PASS' : 'FAIL'}**${r.passed ? '' : `: ${r.verdict.join('; ')}`}. Pass: RSS growth per service ≤ 5% after warm-up, event-loop p99 ≤ 100 ms, consumer lag bounded (≤ ${r.parameters.lagBound} after warm-up, 0 after the drain), nothing missing.`,
    '',
    `Machine: ${r.cores} cores, 1-minute load average ${r.loadAverage.start} at start, ${r.loadAverage.max} at most, ${r.loadAverage.end} at end (shared with other work). ` +
      `Its own PostgreSQL and Kafka; services ${r.servicesFrom === 'build' ? 'compiled (as npm start runs them)' : 'from TypeScript'}; one instance each. ` +
      `${r.parameters.ratePerSec} changes/s (half POST/PATCH /v1/tasks, half ResourceChangePublisher) to 7 hooks, ${r.parameters.warmupMinutes} min warm-up + ${r.parameters.minutes} min; achieved ${r.achievedRatePerSec} changes/s.`,
    '',
    '| service | RSS end of warm-up (median of 60 s) | RSS end (median of last 60 s) | growth | peak RSS | event-loop p99 (p99 of 5 s intervals) | median | worst interval | consumer lag seen (max) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.services.map(
      (s) =>
        `| ${s.service} | ${s.rssWarmMb} MB | ${s.rssEndMb} MB | ${s.rssGrowthPct}% | ${s.rssPeakMb} MB | ${s.eventLoopP99OfIntervalsMs} ms | ${s.eventLoopP99MedianMs} ms | ${s.eventLoopP99MaxMs} ms | ${s.consumerLagMax ?? ''} |`,
    ),
    '',
    '| consumer group | max lag after warm-up | trend (per minute) | after the drain |',
    '| --- | --- | --- | --- |',
    ...r.groupLag.map((g) => `| ${g.label} | ${g.maxAfterWarmup} | ${g.slopePerMinute} | ${g.final} |`),
    '',
    `Ledger: ${r.changesCommitted} changes committed, ${l.deliveriesExpected} deliveries expected, ${l.delivered} delivered, ${l.duplicates} duplicates, ${l.missing} missing, ${l.orderViolations} order violations.`,
    '',
    'RSS and event-loop p99 per minute (median of the samples in that minute):',
    '',
    `| minute | ${r.services.map((s) => s.service).join(' | ')} |`,
    `| --- | ${r.services.map(() => '---').join(' | ')} |`,
    ...perMinute(r),
    '',
  ];
  return `${lines.join('\n')}\n`;
}

function perMinute(r: SoakResult): string[] {
  const minutes = Math.ceil(Math.max(...Object.values(r.samples).flatMap((s) => s.map((x) => x.t))) / 60_000);
  const rows: string[] = [];
  for (let m = 0; m < minutes; m++) {
    const cells = r.services.map((s) => {
      const in_ = (r.samples[s.service] ?? []).filter((x) => x.t >= m * 60_000 && x.t < (m + 1) * 60_000);
      return `${Math.round(median(in_.map((x) => x.rssMb)))} MB / ${Math.round(median(in_.map((x) => x.eventLoopP99Ms)))} ms`;
    });
    rows.push(`| ${m + 1} | ${cells.join(' | ')} |`);
  }
  return rows;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`soak: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
