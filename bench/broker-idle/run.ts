import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { APPS, BENCH_RESULTS_DIR, OwnInfra, ROOT, envNumber as num } from '@herald/bench/harness';
import {
  createTestDatabase,
  serviceArgs,
  spawnService,
  uniqueKafkaNamespace,
  type SpawnedService,
  type TestDatabase,
} from '@herald/platform/testing';

/*
 * `npm run bench:broker-idle`: the Kafka broker's idle CPU (issue 14: ≤ 2 % of a core), on a
 * broker of its own — started with the project's launcher (tools/dev-infra/lib/kafka.js, the same
 * server.properties and JVM flags as the shared one) on other ports and in its own state
 * directory (`.herald/broker-idle`), so that no other client of the machine's shared broker adds
 * to it. Two phases, each `BENCH_BROKER_IDLE_SAMPLES` samples of `BENCH_BROKER_IDLE_SECONDS`
 * (`BENCH_BROKER_ALONE_SAMPLES` for the first) after `BENCH_BROKER_SETTLE_SECONDS` (60):
 *   1. the broker alone, no client;
 *   2. with Herald's four services connected and idle (a fresh database on DATABASE_URL's server).
 * CPU is the broker's utime + stime from /proc/<pid>/stat, as bench:e2e samples it. With
 * `BENCH_COUNT_REQUESTS=1` each service counts the Kafka requests it sends, by API
 * (bench/broker-idle/count-requests.js, preloaded), and the report gives them per second.
 * Each sample also gives the broker's threads that took the most CPU (/proc/<pid>/task/*: utime +
 * stime by thread name, digits folded, so `kafka-request-handler-0..3` are one line).
 * An A/B of broker settings: `BENCH_BROKER_JVM_OPTS="-XX:… …"` (more JVM flags, or other values
 * of the launcher's) and `BENCH_BROKER_PROPS="name=value …"` (server.properties), for instance
 * in two runs side by side with their own BENCH_BROKER_STATE_DIR and ports.
 */

const run = promisify(execFile);
const P = {
  port: num('BENCH_BROKER_PORT', 29192),
  controllerPort: num('BENCH_BROKER_CONTROLLER_PORT', 29193),
  seconds: num('BENCH_BROKER_IDLE_SECONDS', 60),
  samples: num('BENCH_BROKER_IDLE_SAMPLES', 3),
  /** Samples of the broker alone (default: as many as with the services). */
  aloneSamples: num('BENCH_BROKER_ALONE_SAMPLES', num('BENCH_BROKER_IDLE_SAMPLES', 3)),
  /** `BENCH_SERVICE_ENV="NAME=value …"`: the services' other settings (as bench:e2e's). */
  serviceEnv: Object.fromEntries(
    (process.env['BENCH_SERVICE_ENV'] ?? '')
      .split(/\s+/)
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ),
  /** Seconds after each start before sampling (JIT, group joins, first metadata: a broker's first minute costs more). */
  settleSeconds: num('BENCH_BROKER_SETTLE_SECONDS', 60),
  countRequests: process.env['BENCH_COUNT_REQUESTS'] === '1',
  jvmOpts: (process.env['BENCH_BROKER_JVM_OPTS'] ?? '').split(/\s+/).filter(Boolean),
  properties: Object.fromEntries(
    (process.env['BENCH_BROKER_PROPS'] ?? '')
      .split(/\s+/)
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ),
  /** Threads named per sample (by CPU, most first). */
  topThreads: num('BENCH_BROKER_TOP_THREADS', 8),
  /** `0`: the broker alone only (an A/B of broker settings). */
  withServices: process.env['BENCH_BROKER_IDLE_SERVICES'] !== '0',
};
const STATE_DIR = path.join(
  ROOT,
  '.herald',
  process.env['BENCH_BROKER_STATE_DIR'] ?? 'broker-idle',
);
const COUNT_DIR = path.join(STATE_DIR, 'request-counts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const log = (msg: string) => console.log(`[broker-idle] ${msg}`);

/** utime + stime of a process, seconds (fields 14 and 15 of /proc/<pid>/stat), as bench:e2e samples it. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/**
 * utime + stime of each thread of a process, seconds, by thread name (/proc/<pid>/task/<tid>/comm,
 * 15 characters) with digits folded to `#`: the JVM's and Kafka's numbered threads are one line.
 */
function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/\d+/g, '#');
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** Per thread name, % of a core between two readings (threads that ended are not counted). */
function threadShares(a: Map<string, number>, b: Map<string, number>, secs: number) {
  return [...b]
    .map(([name, t]) => [name, round(((t - (a.get(name) ?? 0)) / secs) * 100)] as const)
    .filter(([, pct]) => pct > 0)
    .sort((x, y) => y[1] - x[1]);
}

/** `samples` samples of `P.seconds` each: the broker's CPU, % of one core, and its busiest threads. */
async function sampleCpu(
  pid: number,
  label: string,
  samples = P.samples,
): Promise<{ pct: number[]; threads: Record<string, number>[] }> {
  const pct: number[] = [];
  const threads: Record<string, number>[] = [];
  for (let i = 0; i < samples; i++) {
    const a = cpuSeconds(pid);
    const ta = threadCpuSeconds(pid);
    const t = Date.now();
    await sleep(P.seconds * 1000);
    const b = cpuSeconds(pid);
    const tb = threadCpuSeconds(pid);
    const secs = (Date.now() - t) / 1000;
    const p = round(((b - a) / secs) * 100);
    const top = threadShares(ta, tb, secs).slice(0, P.topThreads);
    pct.push(p);
    threads.push(Object.fromEntries(top));
    log(
      `${label}: sample ${i + 1}/${samples}: ${p} % of a core (load ${loadavg()[0].toFixed(2)}); ` +
        top.map(([name, share]) => `${name} ${share}`).join(', '),
    );
  }
  return { pct, threads };
}

/** Requests per second by API and service, from the counters' files between two reads. */
function readCounts(): Record<string, { at: number; counts: Record<string, number> }> {
  const out: Record<string, { at: number; counts: Record<string, number> }> = {};
  try {
    for (const f of readdirSync(COUNT_DIR))
      out[f.replace(/\.json$/, '')] = JSON.parse(readFileSync(path.join(COUNT_DIR, f), 'utf8'));
  } catch {
    // no counts
  }
  return out;
}
function rates(
  a: ReturnType<typeof readCounts>,
  b: ReturnType<typeof readCounts>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [proc, now] of Object.entries(b)) {
    const before = a[proc];
    if (!before || now.at <= before.at) continue;
    const secs = (now.at - before.at) / 1000;
    out[proc] = Object.fromEntries(
      Object.entries(now.counts)
        .map(([api, n]) => [api, round((n - (before.counts[api] ?? 0)) / secs)] as const)
        .filter(([, r]) => r > 0),
    );
  }
  return out;
}

async function main(): Promise<void> {
  if (!process.env['DATABASE_URL'])
    throw new Error("DATABASE_URL must name the PostgreSQL server for the services' database");
  const started = new Date().toISOString();
  const load = loadavg()[0];
  let infra: OwnInfra | undefined;
  let database: TestDatabase | undefined;
  const services: SpawnedService[] = [];
  try {
    infra = await OwnInfra.start({
      stateDir: STATE_DIR,
      kafka: {
        port: P.port,
        controllerPort: P.controllerPort,
        jvmOpts: P.jvmOpts,
        properties: P.properties,
      },
      log,
    });
    const pid = await infra.kafkaPid();
    log(`broker pid ${pid} on ${infra.kafkaBrokers}; settling ${P.settleSeconds} s`);
    await sleep(P.settleSeconds * 1000);
    const { pct: alone, threads: aloneThreads } = await sampleCpu(
      pid,
      'broker alone',
      P.aloneSamples,
    );
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const result: Record<string, unknown> = {
      started,
      loadAverageAtStart: round(load),
      seconds: P.seconds,
      samples: P.samples,
      settleSeconds: P.settleSeconds,
      serviceEnv: P.serviceEnv,
      brokerJvmOpts: P.jvmOpts,
      /** The flags the broker ran with (its command line's -X…), defaults included. */
      brokerJvmFlags: readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .filter((a) => a.startsWith('-X')),
      brokerProperties: P.properties,
      brokerIdleCpuPercent: { alone, aloneMedian: median(alone) },
      busiestThreadsPercent: { alone: aloneThreads },
    };
    if (P.withServices) {
      const namespace = uniqueKafkaNamespace('idle');
      database = await createTestDatabase('brokeridle');
      const env: Record<string, string> = {
        DATABASE_URL: database.url,
        KAFKA_BROKERS: infra.kafkaBrokers,
        HERALD_KAFKA_NAMESPACE: namespace,
        HERALD_SECRETS_KEY: randomBytes(32).toString('base64'),
        HERALD_OUTBOX_SLOT: `outbox_${namespace.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(
          0,
          63,
        ),
        LOG_LEVEL: 'warn',
        ...P.serviceEnv,
        ...(P.countRequests ? { COUNT_DIR } : {}),
      };
      rmSync(COUNT_DIR, { recursive: true, force: true });
      mkdirSync(COUNT_DIR, { recursive: true });
      for (const app of ['domain-api', 'subscription-registry']) {
        await run(process.execPath, await serviceArgs(app, 'migrate'), {
          cwd: ROOT,
          env: { ...process.env, ...env },
        });
      }
      log(`starting the four services on ${infra.kafkaBrokers}`);
      const execArgv = P.countRequests ? ['-r', path.join(__dirname, 'count-requests.js')] : [];
      services.push(
        ...(await Promise.all(
          APPS.map((app) => spawnService(app, env, { readyTimeoutMs: 180_000, execArgv })),
        )),
      );
      log(`services ready; settling ${P.settleSeconds} s`);
      await sleep(P.settleSeconds * 1000);
      const countsBefore = readCounts();
      const { pct: withServices, threads: withServicesThreads } = await sampleCpu(
        pid,
        'with the four services idle',
      );
      const requestsPerSecond = rates(countsBefore, readCounts());

      result['brokerIdleCpuPercent'] = {
        alone,
        withServices,
        aloneMedian: median(alone),
        withServicesMedian: median(withServices),
      };
      result['busiestThreadsPercent'] = { alone: aloneThreads, withServices: withServicesThreads };
      if (P.countRequests) result['requestsPerSecond'] = requestsPerSecond;
    }
    result['loadAverageAtEnd'] = round(loadavg()[0]);
    mkdirSync(BENCH_RESULTS_DIR, { recursive: true });
    writeFileSync(
      // A second instance beside it (its own state dir) keeps its own file.
      path.join(BENCH_RESULTS_DIR, `${path.basename(STATE_DIR)}.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
    await database?.drop().catch(() => undefined);
    await infra?.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
