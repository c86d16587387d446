import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { Pool } from 'undici';
import { ALL_TOPICS, RetryTierTopics, Topics, topicName, type SubscriptionSnapshot } from '@herald/contracts';
import { APPS as SERVICES, BENCH_RESULTS_DIR as RESULTS, ROOT, envNumber as num, type App as Service } from '@herald/bench/harness';
import { SecretBox } from '@herald/platform/crypto';
import {
  createTestDatabase,
  deleteKafkaNamespace,
  serviceArgs,
  spawnService,
  subscriptionSnapshotFixture,
  uniqueKafkaNamespace,
  waitFor,
  type SpawnedService,
  type TestDatabase,
} from '@herald/platform/testing';
import {
  ApiIngest,
  BusIngest,
  INGEST_MODES,
  SqlIngest,
  type BenchTenant,
  type ChangeSpec,
  type Ingest,
  type IngestMode,
} from './ingest';
import { NONE, median, noisyPhaseOrder, roundShares, roundsCell, summarizeRounds } from './noisy-rounds';
import { PgActivity, pgActivityCells, vacuumTables, type PgPhaseActivity } from './pg-activity';
import { Sampler, cpuDelta, listenerPid } from './processes';
import { GoSink, NodeSink, type KindStats, type Receiver } from './receivers';

/*
 * `npm run bench:e2e [-- --ingest sql|api|bus]`: Herald end to end on loopback — the four
 * services as processes, webhook receivers in their own processes (the Go sink, bench/sink-go,
 * built with the machine's `go`; the Node sink, bench/e2e/sink.ts, as the fallback and as a
 * second ceiling), changes made as `--ingest` says (bench/e2e/ingest.ts: outbox rows in SQL, one
 * POST /v1/tasks per change, or ResourceChangePublisher). Bounded: it gives up, prints VOID and
 * cleans up when its time budget is spent. A run is valid only when the machine's 1-minute load
 * average was below 1.5 at its start (2 shared cores: other work would be measured too).
 */

const FINDINGS = path.join(__dirname, 'findings.md');
const INGEST = ingestMode();
/**
 * Rounds of the noisy-neighbour section (BENCH_NOISY_ROUNDS): each bad-neighbour kind runs once a
 * round, between two no-neighbour bursts, and the report gives each kind's median over the rounds
 * (bench/e2e/noisy-rounds.ts). Default 3; 1 under `--ingest api`, whose bursts are ~60 s each
 * (one round is already ~9 minutes there).
 */
const NOISY_ROUNDS = Math.max(1, Math.floor(num('BENCH_NOISY_ROUNDS', INGEST === 'api' ? 1 : 3)));
const P = {
  /**
   * The API's ~250 creates/s make an api-ingest run's 16,000-change phases ~60 s each. A noisy
   * round (4 kinds, 4 none bursts, the bad neighbours' tails) took ~155 s under sql ingest and
   * ~500 s under api ingest at the default sizes: each round past the first adds that and a margin.
   */
  budgetMs: num(
    'BENCH_BUDGET_MS',
    INGEST === 'api' ? 900_000 + (NOISY_ROUNDS - 1) * 600_000 : 285_000 + (NOISY_ROUNDS - 1) * 200_000,
  ),
  noisyRounds: NOISY_ROUNDS,
  /**
   * BENCH_VACUUM_BEFORE_PHASE=1: `VACUUM (ANALYZE)` of the bench database's tables (the registry's
   * delivery log and the domain's outbox grow by a burst's rows each phase) before each noisy
   * phase, in a phase of its own in the per-phase tables, so that autovacuum has less left to do
   * inside one (off by default: the services run with autovacuum as deployed). ~0.5 s a phase.
   */
  vacuumBeforePhase: process.env['BENCH_VACUUM_BEFORE_PHASE'] === '1',
  healthyHooks: num('BENCH_HEALTHY_HOOKS', 16),
  /** Hooks of each bad-neighbour kind (BENCH_HANG_HOOKS, its old name, still read). */
  badHooks: num('BENCH_BAD_HOOKS', num('BENCH_HANG_HOOKS', 4)),
  warmupChanges: num('BENCH_WARMUP_CHANGES', 4_000),
  steadyChanges: num('BENCH_STEADY_CHANGES', 16_000),
  /**
   * Healthy changes of each noisy-neighbour phase (none, then each of the four kinds). Default:
   * the steady phase's, so that "share of steady" compares the same burst with and without a bad
   * neighbour — a smaller burst carries the same ~2 s from commit to the first delivery over
   * fewer deliveries, and is slower per delivery with no neighbour at all (bench/e2e/findings.md).
   */
  noisyChanges: num('BENCH_NOISY_CHANGES', num('BENCH_STEADY_CHANGES', 16_000)),
  /** Changes to each bad neighbour hook in its phase. */
  noisyBadChangesPerHook: num(
    'BENCH_NOISY_BAD_CHANGES_PER_HOOK',
    num('BENCH_NOISY_HANG_CHANGES_PER_HOOK', 25),
  ),
  /** The bad neighbours' timeout: the hanging ones hang past it, the slow ones answer just under it. */
  hangTimeoutMs: num('BENCH_HANG_TIMEOUT_MS', 1_000),
  slowAnswerMs: num('BENCH_SLOW_ANSWER_MS', num('BENCH_HANG_TIMEOUT_MS', 1_000) - 100),
  latencyRate: num('BENCH_LATENCY_RATE', 1_000),
  latencySeconds: num('BENCH_LATENCY_SECONDS', 10),
  fanout: num('BENCH_FANOUT', 10_000),
  ceilingRequests: num('BENCH_CEILING_REQUESTS', 10_000),
  /** The dispatcher's default in-flight cap per subscription (HERALD_DISPATCH_MAX_IN_FLIGHT_PER_SUBSCRIPTION). */
  inFlightPerHook: num('BENCH_IN_FLIGHT_PER_HOOK', 4),
  /** Seconds with hooks set up and nothing to deliver: the services' and the broker's idle CPU. */
  idleSeconds: num('BENCH_IDLE_SECONDS', 10),
  /** `--ingest api`: concurrent senders of POST /v1/tasks. */
  apiSenders: num('BENCH_API_SENDERS', 16),
  /**
   * Before the steady phase and each noisy phase, wait (at most this long, ms; 0: not at all)
   * until the registry has logged every delivery routed and every attempt's outcome so far, so
   * that no burst starts while the one before it is still being logged (that work is the
   * earlier phase's, and took CPU from whichever phase came next).
   */
  settleMs: num('BENCH_SETTLE_MS', 60_000),
  /** Multiplies how long each phase may take to deliver everything (a loaded host). */
  waitScale: num('BENCH_WAIT_SCALE', 1),
};
/** A run is valid only below this 1-minute load average at its start. */
const MAX_VALID_LOAD = 1.5;

/** An idempotent producer on the broker the services use (KAFKA_BROKERS), connected. */
async function connectedProducer(clientId: string): Promise<Producer> {
  const kafka = new Kafka({ clientId, brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  return producer;
}

/**
 * The noisy-neighbour phase's four kinds of bad neighbour, each next to the same healthy load in
 * a phase of its own: `answer` is the sink path's first segment (how the sink answers), `hook`
 * the settings it is created with, `attempts` how many requests each of its deliveries makes.
 * They are a second tenant's hooks. Each delivery of theirs is ledgered once it reached the sink.
 */
const BAD_KINDS = [
  {
    kind: 'hanging',
    answer: 'hang',
    what: `hang past their ${P.hangTimeoutMs} ms timeout`,
    attempts: 1,
    hook: { timeoutMs: P.hangTimeoutMs, retryPolicy: { maxAttempts: 1, onExhausted: 'dlq' } },
  },
  {
    kind: 'slow',
    answer: 'slow',
    query: `?ms=${P.slowAnswerMs}`,
    what: `answer after ${P.slowAnswerMs} ms, just under their ${P.hangTimeoutMs} ms timeout`,
    attempts: 1,
    hook: { timeoutMs: P.hangTimeoutMs, retryPolicy: { maxAttempts: 1, onExhausted: 'dlq' } },
  },
  {
    kind: 'rate-limited',
    answer: 'rated',
    what: 'are rate-limited at 1/s',
    attempts: 1,
    hook: { rateLimitPerSec: 1 },
  },
  {
    kind: 'ordered-failing',
    answer: 'fail',
    what: 'are ordered and answer 500 (one retry after 1 s, then the DLQ)',
    attempts: 2,
    hook: {
      deliveryMode: 'ordered',
      retryPolicy: { scheduleMs: [1_000], maxAttempts: 2, maxAgeMs: 600_000, onExhausted: 'dlq' },
    },
  },
] as const;
type BadKind = (typeof BAD_KINDS)[number]['kind'];
type NoisyPhase = 'none' | BadKind;
const ALL_NOISY_PHASES: readonly NoisyPhase[] = ['none', ...BAD_KINDS.map((b) => b.kind)];
/**
 * By default every kind runs between two no-neighbour bursts, its paired control, once in each of
 * NOISY_ROUNDS rounds, the kinds' order rotated per round (noisyPhaseOrder).
 */
const DEFAULT_NOISY_PHASES: readonly NoisyPhase[] = noisyPhaseOrder(
  BAD_KINDS.map((b) => b.kind),
  NOISY_ROUNDS,
);
/**
 * The noisy phases this run makes (BENCH_NOISY_PHASES, comma-separated, default the rounds above;
 * given, it replaces them and BENCH_NOISY_ROUNDS does not apply): to measure one kind against
 * `none` in a shorter run. Each run of a kind is one of its rounds. A run without all five is not
 * the bench's figure (the report says which ran).
 */
const NOISY_PHASES: readonly NoisyPhase[] = (() => {
  const wanted = (process.env['BENCH_NOISY_PHASES'] ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const unknown = wanted.filter((w) => !ALL_NOISY_PHASES.includes(w as NoisyPhase));
  if (unknown.length > 0) {
    process.stderr.write(`bench:e2e: BENCH_NOISY_PHASES: unknown ${unknown.join(', ')} (known: ${ALL_NOISY_PHASES.join(', ')})\n`);
    process.exit(64);
  }
  return wanted.length === 0 ? DEFAULT_NOISY_PHASES : (wanted as NoisyPhase[]);
})();
/** The bad kinds whose phase this run makes. */
const RUN_BAD_KINDS = () => BAD_KINDS.filter((b) => NOISY_PHASES.includes(b.kind));
/** How many times a kind's phase runs (a phase may be named more than once: an A/B/A/B run). */
const runsOf = (k: NoisyPhase) => NOISY_PHASES.filter((x) => x === k).length;
/**
 * BENCH_METRICS_DIR: every service's /metrics text is written there at the end of each phase
 * (`<n>-<phase>.<service>.prom`), to count what a phase caused (attempts, outcomes, parks,
 * registry writes) by the difference of two.
 */
const METRICS_DIR = process.env['BENCH_METRICS_DIR'];
/** One run of a kind's phase (one round): its figures alone. */
interface NoisyRound {
  /** Which run of its kind (1, 2, …), and the phase's name in the per-phase tables. */
  round: number;
  phase: string;
  healthyDeliveriesPerSec: number;
  healthyShareOfSteady: number;
  /**
   * Of the no-neighbour bursts run just before and just after this phase (their mean; the one
   * there is when only one is): a paired control. The system drifts over a run (tables grow,
   * PostgreSQL vacuums; the no-neighbour burst itself ranged 0.81–1.02 of steady on quiet hosts),
   * and a control measured next to the phase takes that drift out. Null for `none`.
   */
  healthyShareOfAdjacentNone: number | null;
  healthyP50Ms: number;
  healthyP99Ms: number;
  /** Deliveries the dispatcher parked during the phase (herald_delivery_spilled_total). */
  parked: number;
  /** Messages the phase (window and tail) wrote to the retry tiers and to the DLQ. */
  retryTierMessages: number;
  dlqMessages: number;
  /**
   * What the registry had not logged yet when the phase was ready to start (outcomes, routed
   * deliveries), and how long the bench waited for it (BENCH_SETTLE_MS), before the clock started.
   */
  settled: { outcomesBehind: number; routedBehind: number; waitedMs: number } | null;
  /** PostgreSQL beside the phase's window (its row of `pgActivityByPhase`); absent when not sampled. */
  pg?: PgPhaseActivity;
}
/**
 * A kind over its rounds (`rounds`, in the order they ran). The shares, rate and latencies are
 * medians over the rounds; the ≥ 0.90 verdict is on `healthyShareOfSteady` (the median).
 */
interface NoisyResult {
  /** Median over the rounds. */
  healthyDeliveriesPerSec: number;
  /** Median over the rounds of each round's rate ÷ the steady phase's: the figure of the ≥ 0.90 target. */
  healthyShareOfSteady: number;
  healthyShareOfSteadyMin: number;
  /** The median rate ÷ the median rate of all the no-neighbour bursts (1 for `none`): an unpaired control. */
  healthyShareOfNoneBursts: number;
  /** Median over the rounds of the paired control (NoisyRound.healthyShareOfAdjacentNone); null for `none`. */
  healthyShareOfAdjacentNone: number | null;
  healthyShareOfAdjacentNoneMin: number | null;
  /** Medians over the rounds. */
  healthyP50Ms: number;
  healthyP99Ms: number;
  badHooks: number;
  /** The bad neighbours' deliveries over all rounds. */
  badDeliveries: number;
  /** The bad neighbours' deliveries that reached the sink (at least once) by the end of the run. */
  badAttempted: number;
  /** Deliveries the dispatcher parked, all rounds (herald_delivery_spilled_total). */
  parked: number;
  /**
   * What the bad tenant got, as it sees it (GET /v1/webhooks/:id/stats with its own API key,
   * summed over the kind's hooks, at the end of the run — every phase of the kind): its attempts
   * by outcome, and its deliveries dead-lettered (`failed`: exhausted, and each bad kind's hooks
   * say `onExhausted: 'dlq'`). Null for `none`, or when the stats could not be read.
   */
  badTenant: BadTenantFigures | null;
  /**
   * Messages the phases (windows and tails, all rounds) wrote to the retry tiers — an ordered
   * hook's failed head moves to a tier with every delivery queued behind it, each time it fails —
   * and to the DLQ.
   */
  retryTierMessages: number;
  dlqMessages: number;
  rounds: NoisyRound[];
}
const badSinkKind = (b: (typeof BAD_KINDS)[number]) => `${b.answer}/noisy-${b.kind}`;
/** Retry-tier and DLQ messages in a phase's (and its tail's) `messagesByPhase`. */
function topicWrites(...phases: (Record<string, number> | undefined)[]): { retryTierMessages: number; dlqMessages: number } {
  const sum = (pick: (topic: string) => boolean) =>
    phases.reduce((n, m) => n + Object.entries(m ?? {}).filter(([t]) => pick(t)).reduce((k, [, v]) => k + v, 0), 0);
  return {
    retryTierMessages: sum((t) => RetryTierTopics.some((r) => r.name === t)),
    dlqMessages: sum((t) => t === Topics.DeliveriesDlq.name),
  };
}
interface BadTenantFigures {
  attempts: { delivered: number; retrying: number; failed: number; discarded: number; total: number };
  deadLettered: number;
}

/** Sums the registry's 24 h stats of `hookIds` as `owner` sees them (its API key). */
async function tenantHookStats(registry: string, owner: BenchTenant, hookIds: readonly string[]): Promise<BadTenantFigures> {
  const attempts = { delivered: 0, retrying: 0, failed: 0, discarded: 0, total: 0 };
  for (const id of hookIds) {
    const res = await fetch(`${registry}/v1/webhooks/${id}/stats?hours=1`, {
      headers: { authorization: `Bearer ${owner.apiKey}` },
    });
    if (res.status !== 200) throw new Error(`GET /v1/webhooks/${id}/stats: ${res.status} ${await res.text()}`);
    const { summary } = (await res.json()) as { summary?: { attempts: BadTenantFigures['attempts'] } };
    for (const k of Object.keys(attempts) as (keyof typeof attempts)[]) attempts[k] += summary?.attempts[k] ?? 0;
  }
  return { attempts, deadLettered: attempts.failed };
}

function ingestMode(): IngestMode {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((a) => a === '--ingest' || a.startsWith('--ingest='));
  const value =
    i < 0
      ? (process.env['BENCH_INGEST'] ?? 'sql')
      : argv[i].includes('=')
        ? argv[i].slice('--ingest='.length)
        : argv[i + 1];
  if (!INGEST_MODES.includes(value as IngestMode)) {
    process.stderr.write(`bench:e2e: --ingest must be one of ${INGEST_MODES.join(', ')}\n`);
    process.exit(64);
  }
  return value as IngestMode;
}

/** Extra settings for the four services, `NAME=value` separated by spaces (to compare settings). */
const SERVICE_ENV: Record<string, string> = Object.fromEntries(
  (process.env['BENCH_SERVICE_ENV'] ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
/**
 * Extra node flags for the four services, separated by spaces, after the launcher's own
 * (tools/dev-infra/lib/services.js runArgs), so that one given again wins: to compare V8 settings
 * (e.g. `BENCH_NODE_ARGS='--max-semi-space-size=16 --enable-source-maps'`).
 */
const NODE_ARGS = (process.env['BENCH_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean);
/** BENCH_CPU_PROF=1: each service writes a V8 CPU profile (`--cpu-prof`) there when it stops. */
const PROFILE_DIR = process.env['BENCH_CPU_PROF']
  ? path.join(ROOT, '.herald', 'bench', 'profiles', new Date().toISOString().replace(/[:.]/g, '-'))
  : undefined;

const t0 = Date.now();
const left = () => P.budgetMs - (Date.now() - t0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) =>
  process.stdout.write(`[bench:e2e +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// The stack.

interface Stack {
  namespace: string;
  database: TestDatabase;
  env: Record<string, string>;
  services: Map<Service, SpawnedService>;
  secretsKey: string;
}

/** Runs an app's compiled entry (`migrate`, `cli`) as spawnService runs `main`. */
async function node(
  app: string,
  entry: 'cli' | 'migrate',
  env: Record<string, string>,
  args: string[] = [],
): Promise<string> {
  const { stdout } = await run(process.execPath, [...(await serviceArgs(app, entry)), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

async function startStack(stack: Partial<Stack>): Promise<Stack> {
  const namespace = uniqueKafkaNamespace('bench');
  stack.namespace = namespace;
  const database = await createTestDatabase('bench');
  stack.database = database;
  const secretsKey = randomBytes(32).toString('base64');
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    HERALD_KAFKA_NAMESPACE: namespace,
    HERALD_SSRF_ALLOW_CIDRS: '127.0.0.0/8',
    HERALD_SECRETS_KEY: secretsKey,
    HERALD_OUTBOX_SLOT: `outbox_${namespace.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(
      0,
      63,
    ),
    LOG_LEVEL: 'warn',
    ...SERVICE_ENV,
  };
  const services = new Map<Service, SpawnedService>();
  Object.assign(stack, { secretsKey, env, services });
  log(`database ${database.name}, Kafka namespace ${namespace}: migrating`);
  await Promise.all(
    ['domain-api', 'subscription-registry'].map((app) => node(app, 'migrate', env)),
  );
  log(
    `starting the four services${Object.keys(SERVICE_ENV).length ? ` with ${JSON.stringify(SERVICE_ENV)}` : ''}`,
  );
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const started = await Promise.all(
    SERVICES.map((app) =>
      spawnService(app, env, {
        readyTimeoutMs: Math.max(10_000, left() - 60_000),
        execArgv: [
          ...NODE_ARGS,
          ...(PROFILE_DIR
            ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${app}.cpuprofile`]
            : []),
        ],
      }),
    ),
  );
  started.forEach((s, i) => services.set(SERVICES[i], s));
  return { namespace, database, env, services, secretsKey };
}

async function stopStack(stack: Partial<Stack>): Promise<void> {
  await Promise.all(
    [...(stack.services?.values() ?? [])].map((s) => s.stop().catch(() => undefined)),
  );
  await stack.database?.drop().catch(() => undefined);
  if (stack.namespace) await deleteKafkaNamespace(stack.namespace).catch(() => undefined);
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Sum and count of a histogram on a service's /metrics. */
async function histogram(url: string, name: string): Promise<{ sum: number; count: number }> {
  return { sum: await metric(url, `${name}_sum`), count: await metric(url, `${name}_count`) };
}

/** Where a change's time goes, as cumulative means since commit (from the services' own histograms). */
const STAGES: { stage: string; service: Service; histogram: string }[] = [
  {
    stage: 'commit → on Kafka (outbox relay)',
    service: 'domain-api',
    histogram: 'herald_outbox_publish_latency_seconds',
  },
  {
    stage: 'commit → deliveries produced (router)',
    service: 'event-router',
    histogram: 'herald_router_event_age_seconds',
  },
  {
    stage: 'commit → receiver 2xx (dispatcher)',
    service: 'delivery-dispatcher',
    histogram: 'herald_delivery_e2e_latency_seconds',
  },
];

// ---------------------------------------------------------------------------------------------
// Hooks, changes.

async function createHook(
  registry: string,
  tenant: BenchTenant,
  body: Record<string, unknown>,
): Promise<string> {
  for (;;) {
    const res = await fetch(`${registry}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status === 201) return ((await res.json()) as { id: string }).id;
    if (res.status !== 401 || left() < 60_000)
      throw new Error(`POST /v1/webhooks: ${res.status} ${await res.text()}`);
    await sleep(250); // the API key reaches the registry over herald.principals.v1
  }
}

async function inParallel<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
    : NaN;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

async function waitUnique(
  sink: Receiver,
  kind: string,
  count: number,
  capMs: number,
  latenciesFrom = -1,
): Promise<KindStats> {
  const deadline = Date.now() + Math.min(capMs * P.waitScale, Math.max(0, left() - 15_000));
  for (;;) {
    // Polls count without latencies: a copy of every latency ten times a second, growing through
    // the run, cost the sink (under its lock) and this process CPU beside the services measured.
    const s = await sink.kind(kind, -1);
    if (s.unique >= count || Date.now() > deadline)
      return latenciesFrom < 0 ? s : sink.kind(kind, latenciesFrom);
    await sleep(100);
  }
}

/** Waits (at most `capMs`) until `kind` had `count` requests, retries included. */
async function waitArrivals(sink: Receiver, kind: string, count: number, capMs: number): Promise<number> {
  const deadline = Date.now() + Math.min(capMs * P.waitScale, Math.max(0, left() - 15_000));
  for (;;) {
    const s = await sink.kind(kind, -1);
    if (s.arrivals >= count || Date.now() > deadline) return s.arrivals;
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------
// The ceiling: a bare undici POST loop to a sink, at Herald's concurrency.

async function ceiling(
  sinkUrl: string,
  requests: number,
  concurrency: number,
  body: string,
): Promise<number> {
  const pool = new Pool(sinkUrl, { connections: concurrency, pipelining: 1 });
  let sent = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < requests) {
        const i = sent++;
        const res = await pool.request({
          path: `/ceiling/loop/${i % concurrency}`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'webhook-id': `ceiling-${i}` },
          body,
        });
        await res.body.text();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return requests / seconds;
}

// ---------------------------------------------------------------------------------------------

interface Result {
  void: boolean;
  voidReason?: string;
  /** True when the machine was quiet enough for the figures to count (1-minute load < 1.5 at the start). */
  valid: boolean;
  startedAt: string;
  durationSeconds: number;
  ingest: IngestMode;
  /** Which sink received Herald's deliveries: `go` (bench/sink-go), or `node` where `go` is missing. */
  receiver: 'go' | 'node';
  /** Why the Go sink is not there, when it is not. */
  goSinkMissing?: string;
  parameters: typeof P;
  /** Node flags given to the services beyond the launcher's (BENCH_NODE_ARGS). */
  nodeArgs?: string[];
  /** Settings given to the services beyond the bench's own (BENCH_SERVICE_ENV). */
  serviceEnv: Record<string, string>;
  /** How the services ran: `build` (compiled, as npm start and the image run them) or `source` (HERALD_SERVICES_FROM=source). */
  servicesFrom: 'build' | 'source';
  steady?: {
    changes: number;
    deliveriesPerSec: number;
    /** Bare undici loop to the Node sink. */
    ceilingPerSec: number;
    ratio: number;
    /** Bare undici loop to the Go sink (null without `go`). */
    goCeilingPerSec: number | null;
    concurrency: number;
  };
  /** Steady deliveries/s ÷ the bare undici loop to the Go sink, same run (null without `go`). */
  goSinkRatio?: number | null;
  fanout?: { subscriptions: number; seconds: number };
  /**
   * The noisy-neighbour phases: the same healthy burst without a bad neighbour (`none`), and
   * beside each kind of bad neighbour, over the rounds — the healthy hooks' rate, its share of
   * steady and of the none bursts next to it (medians, and each round's in `rounds`), commit →
   * receiver p50/p99 of the healthy deliveries (a burst: mostly queueing), the bad neighbours'
   * own deliveries and how many the dispatcher parked.
   */
  noisy?: Record<NoisyPhase, NoisyResult>;
  /** The noisy phases in the order they ran (`noisy: <kind>[ #n]` in the per-phase tables). */
  noisyOrder?: NoisyPhase[];
  latency?: {
    ratePerSec: number;
    changes: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    achievedRatePerSec: number;
  };
  ledger?: {
    changesCommitted: number;
    deliveriesExpected: number;
    routerMatches: number;
    delivered: number;
    failed: number;
    missing: number;
    duplicates: number;
    unexpected: number;
    balanced: boolean;
    /** Deliveries the dispatcher parked in a retry tier unattempted (lane bounds, hanging receivers). */
    parked?: number;
  };
  /** Peak resident memory per process over the run (VmRSS), and right after start-up (idle). */
  rssMb?: Record<string, number>;
  rssMbAtStart?: Record<string, number>;
  /** Peak resident memory per process in each phase (MB): where the run's peak happened. */
  rssMbByPhase?: Record<string, Record<string, number>>;
  /** The machine's 1-minute load average at start and end (it is shared; 2 cores). */
  loadAverage?: { start: number; end: number; cores: number };
  cpuSecondsByPhase?: Record<string, Record<string, number>>;
  /**
   * PostgreSQL beside each phase: autovacuum / autoanalyze runs of the bench database's tables
   * that ended in it, the share of samples (every 500 ms) with a VACUUM or ANALYZE running there
   * or in another database, other databases' active queries (the shared server's other users).
   */
  pgActivityByPhase?: Record<string, PgPhaseActivity>;
  /** Messages each phase wrote to each of Herald's topics (end offsets' difference), by topic. */
  messagesByPhase?: Record<string, Record<string, number>>;
  secondsByPhase?: Record<string, number>;
  /** CPU per delivery in the steady phase, per process (µs; the broker's too). */
  cpuMicrosPerDelivery?: Record<string, number>;
  /** The Kafka broker (shared by every client of it): its pid and CPU as % of one core. */
  broker?: { pid: number; idleCpuPercent: number; steadyCpuPercent: number } | null;
  /** Every process's CPU in the idle phase, % of one core. */
  idleCpuPercent?: Record<string, number>;
  /** Mean ms from commit to each stage, per phase (from the services' histograms). */
  stageMeansMsByPhase?: Record<string, Record<string, number>>;
  /** Where V8 CPU profiles were written (BENCH_CPU_PROF=1). */
  profiles?: string;
}

const resultFile = (ext: string) =>
  path.join(RESULTS, `e2e${INGEST === 'sql' ? '' : `-${INGEST}`}.${ext}`);

function writeResults(r: Result): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(resultFile('json'), `${JSON.stringify(r, null, 2)}\n`);
  const md = markdown(r);
  const findings = INGEST === 'sql' && existsSync(FINDINGS) ? readFileSync(FINDINGS, 'utf8') : '';
  writeFileSync(resultFile('md'), findings ? `${md}\n${findings}` : md);
  process.stdout.write(`\n${md}\n`);
}

/** The rounds (`#n`) whose window had a VACUUM or ANALYZE of the bench database running or ending in it; `none`, or `—` when not sampled. */
function vacuumedRounds(rounds: readonly NoisyRound[]): string {
  if (!rounds.some((x) => x.pg)) return '—';
  const hit = rounds.filter((x) => x.pg && (x.pg.autovacuum + x.pg.autoanalyze > 0 || x.pg.benchVacuumSamples > 0));
  return hit.length === 0 ? 'none' : hit.map((x) => `#${x.round}`).join(', ');
}

const INGEST_TEXT: Record<IngestMode, string> = {
  sql: 'changes INSERTed into the outbox table in SQL, 500 a statement (`--ingest sql`)',
  api: `one \`POST /v1/tasks\` per change, ${P.apiSenders} senders (\`--ingest api\`)`,
  bus: 'changes published with ResourceChangePublisher, 500 a request (`--ingest bus`)',
};

function markdown(r: Result): string {
  const lines = [
    `# Herald end-to-end benchmark (${r.startedAt}, ${round(r.durationSeconds)} s, loopback, --ingest ${r.ingest})`,
    '',
  ];
  if (r.loadAverage) {
    lines.push(
      `Machine: ${r.loadAverage.cores} cores, 1-minute load average ${r.loadAverage.start} at start and ` +
        `${r.loadAverage.end} at end. ` +
        (r.valid
          ? `**Valid**: the load was below ${MAX_VALID_LOAD} at the start.`
          : `**NOT valid**: the load was ${r.loadAverage.start} (≥ ${MAX_VALID_LOAD}) at the start — the machine was shared and these figures are indicative only; re-run on a quiet host.`),
      '',
      `Changes: ${INGEST_TEXT[r.ingest]}. Receiver: the ${r.receiver === 'go' ? 'Go sink (bench/sink-go, net/http)' : `Node sink (bench/e2e/sink.ts)${r.goSinkMissing ? ` — the Go sink is missing: ${r.goSinkMissing}` : ''}`}. ` +
        (r.servicesFrom === 'source'
          ? 'Services run from TypeScript through @swc-node/register (HERALD_SERVICES_FROM=source)'
          : 'Services run compiled (deploy/docker/compile.js, as `npm start` and the image run them)') +
        (Object.keys(r.serviceEnv).length ? `, with ${JSON.stringify(r.serviceEnv)}` : '') +
        '; a warm-up phase precedes the measured ones.',
      '',
    );
  }
  const { steady: s, fanout, noisy, latency, ledger } = r;
  if (r.void || !s || !fanout || !noisy || !latency || !ledger) {
    lines.push(
      `**VOID** — ${r.voidReason ?? 'the ledger does not balance'}. No figures are reported from this run.`,
      '',
    );
    if (r.ledger) lines.push('```', JSON.stringify(r.ledger, null, 2), '```', '');
    return lines.join('\n');
  }
  const target = (ok: boolean) => (ok ? 'met' : 'missed');
  const services = Object.keys(r.rssMb ?? {}).filter(
    (n) => !n.startsWith('sink') && n !== 'broker',
  );
  const procs = Object.keys(r.cpuMicrosPerDelivery ?? {});
  lines.push(
    '| measure | value | target |',
    '| --- | --- | --- |',
    `| steady: Herald deliveries/s (${s.changes} changes, one hook each, ${P.healthyHooks} hooks) | ${round(s.deliveriesPerSec)} | ${r.ingest === 'api' ? `≥ 1000 (${target(s.deliveriesPerSec >= 1000)})` : ''} |`,
    `| steady: bare undici POST loop to the Go sink, concurrency ${s.concurrency} (ceiling) | ${s.goCeilingPerSec === null ? `— (${r.goSinkMissing})` : round(s.goCeilingPerSec)} | |`,
    `| steady: **goSinkRatio** (deliveries/s ÷ Go-sink ceiling) | ${r.goSinkRatio == null ? '—' : round(r.goSinkRatio, 3)} | ${r.ingest === 'sql' && r.goSinkRatio != null ? `≥ 0.40 (${target(r.goSinkRatio >= 0.4)})` : ''} |`,
    `| steady: bare undici POST loop to the Node sink, concurrency ${s.concurrency} | ${round(s.ceilingPerSec)} | |`,
    `| steady: ratio to the Node-sink ceiling | ${round(s.ratio, 3)} | |`,
    `| fan-out: one change → ${fanout.subscriptions} subscriptions, seconds to deliver all | ${round(fanout.seconds, 2)} | ≤ 2 (${target(fanout.seconds <= 2)}) |`,
    ...RUN_BAD_KINDS().map((b) => {
      const n = noisy[b.kind];
      const one = n.rounds.length === 1;
      const of = one ? 'one round' : `median of ${n.rounds.length} rounds`;
      const min = (x: number | null) => (one ? '' : ` (min ${round(x ?? NaN, 3)})`);
      const paired =
        n.healthyShareOfAdjacentNone == null
          ? 'no none burst beside it'
          : `${one ? '' : 'median '}**${round(n.healthyShareOfAdjacentNone, 3)}**${min(n.healthyShareOfAdjacentNoneMin)}`;
      return `| noisy neighbour, ${b.kind}: healthy **share of steady, ${of}**${min(n.healthyShareOfSteadyMin)} · paired control, share of the no-neighbour bursts beside ${one ? 'it' : 'each round'}: ${paired} (see below) | ${round(n.healthyShareOfSteady, 3)} | ≥ 0.90 (${target(n.healthyShareOfSteady >= 0.9)}${one ? '' : ', on the median share of steady'}) |`;
    }),
    ...(noisy.none
      ? [
          `| noisy neighbour, none: the ${noisy.none.rounds.length} no-neighbour bursts' share of steady, median (min – max): the run's drift | ${round(noisy.none.healthyShareOfSteady, 3)} (${round(noisy.none.healthyShareOfSteadyMin, 3)} – ${round(Math.max(...noisy.none.rounds.map((x) => x.healthyShareOfSteady)), 3)}) | |`,
        ]
      : []),
    `| latency at ${latency.ratePerSec} changes/s (achieved ${round(latency.achievedRatePerSec)}): commit → receiver p50 | ${round(latency.p50Ms)} ms | ≤ 20 ms (${target(latency.p50Ms <= 20)}) |`,
    `| latency: p99 | ${round(latency.p99Ms)} ms | ≤ 150 ms (${target(latency.p99Ms <= 150)}) |`,
    ...services.map((n) => {
      const peak = r.rssMb?.[n] ?? NaN;
      const idle = r.rssMbAtStart?.[n] ?? NaN;
      return `| RSS ${n}: peak (idle after start) | ${peak} MB (${idle} MB) | ≤ 250 MB (${target(peak <= 250)}), idle ≤ 120 MB (${target(idle <= 120)}) |`;
    }),
    ...(r.broker
      ? [
          `| Kafka broker CPU, idle (${P.idleSeconds} s, hooks set up, nothing to deliver) | ${r.broker.idleCpuPercent} % of a core | ≤ 2 % (${target(r.broker.idleCpuPercent <= 2)}) |`,
          `| Kafka broker CPU, steady phase | ${r.broker.steadyCpuPercent} % of a core | |`,
        ]
      : ['| Kafka broker CPU | — (not a local process) | |']),
    '',
    'The broker and PostgreSQL are the shared ones of the machine (`KAFKA_BROKERS`, `DATABASE_URL`): their CPU includes any other client of theirs during the run (PostgreSQL: the postmaster and all its backends).',
    '',
    '## Noisy neighbours: the healthy tenant beside another tenant with each kind of bad receiver',
    '',
    `Each phase: ${P.noisyChanges} changes at once to ${P.healthyHooks} healthy hooks (the healthy tenant, the same load in the steady phase and in every noisy one) and, spread through them on the same topic, ${P.badHooks * P.noisyBadChangesPerHook} changes of a second tenant (its own API key; the router fans them out to its hooks only) to its ${P.badHooks} bad hooks of one kind, on the same receiver origin; the next phase starts once every bad delivery made its every request and nothing is in flight (or ${30 * P.waitScale} s)${P.settleMs > 0 ? ` and the registry has logged everything before it (at most ${P.settleMs / 1000} s; the steady phase waits the same), so that no burst starts while the one before it is still being logged` : ''}. ${
      r.noisyOrder && process.env['BENCH_NOISY_PHASES'] === undefined
        ? `${P.noisyRounds} round${P.noisyRounds === 1 ? '' : 's'}, each \`none, k1, none, k2, none, k3, none, k4, none\` with the kinds' order rotated a round (round r starts at kind r mod ${BAD_KINDS.length}), the none bursts shared between neighbours: ${NOISY_PHASES.join(', ')}.`
        : `Phases run (BENCH_NOISY_PHASES): ${NOISY_PHASES.join(', ')}; each run of a kind is one of its rounds.`
    } Each cell with rounds gives **the median** (each round's value in the order they ran; the smallest); a kind's paired control is each round's rate ÷ the mean of the none bursts just before and after it (a linear drift cancels). The CPU table splits a phase into its window (to the last healthy delivery) and the bad neighbours' tail after it. Latency is commit → receiver of the healthy deliveries — a burst, so mostly the time each waited behind the others.`,
    '',
    "| bad neighbour | rounds | healthy deliveries/s (median) | share of steady (target ≥ 0.90 on the median) | paired control: share of the adjacent none bursts | share of all none bursts' median rate | healthy p50 (median) | healthy p99 (median) | bad deliveries, all rounds (reached the sink) | bad tenant's attempts: delivered / retrying / failed (its own stats) | bad tenant's dead-lettered | retry-tier / DLQ messages (phases and tails) | parked by the dispatcher | rounds whose window had a vacuum or analyze of the bench db | other dbs' active queries, each round (mean) |",
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...[...new Set(NOISY_PHASES)].map((k) => {
      const n = noisy[k];
      const what = k === 'none' ? 'none' : `${k}: ${BAD_KINDS.find((b) => b.kind === k)?.what ?? ''}`;
      const bt = n.badTenant;
      const own = k === 'none' ? ['—', '—'] : bt ? [`${bt.attempts.total}: ${bt.attempts.delivered} / ${bt.attempts.retrying} / ${bt.attempts.failed}`, String(bt.deadLettered)] : ['?', '?'];
      return `| ${what} | ${n.rounds.length} | ${round(n.healthyDeliveriesPerSec)} | ${roundsCell(n.rounds.map((x) => x.healthyShareOfSteady))} | ${roundsCell(n.rounds.map((x) => x.healthyShareOfAdjacentNone))} | ${round(n.healthyShareOfNoneBursts, 3)} | ${round(n.healthyP50Ms)} ms | ${round(n.healthyP99Ms)} ms | ${k === 'none' ? '—' : `${n.badDeliveries} (${n.badAttempted})`} | ${own[0]} | ${own[1]} | ${n.retryTierMessages ?? '?'} / ${n.dlqMessages ?? '?'} | ${n.parked} | ${vacuumedRounds(n.rounds)} | ${n.rounds.some((x) => x.pg) ? n.rounds.map((x) => x.pg?.otherActiveBackends ?? '?').join(' · ') : '—'} |`;
    }),
    '',
    '## CPU per delivery, steady phase (µs of CPU per delivered webhook)',
    '',
    `| ${procs.join(' | ')} |`,
    `| ${procs.map(() => '---:').join(' | ')} |`,
    `| ${procs.map((n) => r.cpuMicrosPerDelivery?.[n] ?? '').join(' | ')} |`,
    '',
    `## Idle CPU (${P.idleSeconds} s, % of one core)`,
    '',
    `| ${Object.keys(r.idleCpuPercent ?? {}).join(' | ')} |`,
    `| ${Object.keys(r.idleCpuPercent ?? {})
      .map(() => '---:')
      .join(' | ')} |`,
    `| ${Object.values(r.idleCpuPercent ?? {}).join(' | ')} |`,
    '',
    '## Ledger',
    '',
    "| changes committed | deliveries expected (Σ matches) | router matches | delivered | bad neighbours' (reached the sink) | missing | duplicates (bad neighbours' retries not counted) | unexpected | parked by the dispatcher (lane bounds, bad neighbours' included) |",
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${ledger.changesCommitted} | ${ledger.deliveriesExpected} | ${ledger.routerMatches} | ${ledger.delivered} | ${ledger.failed} | ${ledger.missing} | ${ledger.duplicates} | ${ledger.unexpected} | ${ledger.parked ?? ''} |`,
    '',
    '## CPU seconds per phase (where the time goes)',
    '',
    "PostgreSQL's columns: autovacuum / autoanalyze runs of the bench database's tables that ended in the phase (`pg_stat_user_tables`; `v` vacuums, `a` analyzes, by table); the share of samples (every 500 ms) that found a VACUUM or ANALYZE running on the bench database (its tables) / on another database of the shared server (`pg_stat_progress_vacuum`, `_analyze`); other databases' active queries, mean over the samples (the server's other users). A phase whose postgres CPU stands out with none of these is not explained by them.",
    '',
    `| phase | seconds | ${procs.join(' | ')} | pg: autovacuum / autoanalyze ended (bench db) | pg: vacuum or analyze running (bench db / other dbs) | pg: other dbs' active queries |`,
    `| --- | --- | ${procs.map(() => '---').join(' | ')} | --- | --- | ---: |`,
    ...Object.entries(r.cpuSecondsByPhase ?? {}).map(
      ([phase, cpu]) =>
        `| ${phase} | ${r.secondsByPhase?.[phase] ?? ''} | ${procs.map((n) => cpu[n] ?? '').join(' | ')} | ${pgActivityCells(r.pgActivityByPhase?.[phase]).join(' | ')} |`,
    ),
    '',
    "## Peak RSS per phase (MB; the run's peak in bold)",
    '',
    `| phase | ${services.join(' | ')} |`,
    `| --- | ${services.map(() => '---:').join(' | ')} |`,
    ...Object.entries(r.rssMbByPhase ?? {}).map(
      ([phase, rss]) =>
        `| ${phase} | ${services.map((n) => (rss[n] === undefined ? '' : rss[n] === r.rssMb?.[n] ? `**${rss[n]}**` : String(rss[n]))).join(' | ')} |`,
    ),
    '',
    "## Mean ms from commit to each stage, per phase (the services' own histograms)",
    '',
    `| phase | ${STAGES.map((st) => st.stage).join(' | ')} |`,
    `| --- | ${STAGES.map(() => '---').join(' | ')} |`,
    ...Object.entries(r.stageMeansMsByPhase ?? {}).map(
      ([phase, means]) => `| ${phase} | ${STAGES.map((st) => means[st.stage] ?? '').join(' | ')} |`,
    ),
    '',
  );
  if (r.profiles) lines.push(`CPU profiles (V8, \`--cpu-prof\`): \`${r.profiles}\``, '');
  return lines.join('\n');
}

async function main(): Promise<number> {
  const loadAtStart = loadavg()[0];
  const result: Result = {
    void: true,
    valid: false,
    startedAt: new Date(t0).toISOString(),
    durationSeconds: 0,
    ingest: INGEST,
    receiver: 'node',
    parameters: P,
    serviceEnv: SERVICE_ENV,
    nodeArgs: NODE_ARGS,
    servicesFrom: process.env['HERALD_SERVICES_FROM'] === 'source' ? 'source' : 'build',
  };
  const stack: Partial<Stack> = {};
  const receivers: Receiver[] = [];
  let sampler: Sampler | undefined;
  let pgActivity: PgActivity | undefined;
  let db: Client | undefined;
  let ingest: Ingest | undefined;
  let cleaningUp = false;
  let closeAdmin: () => Promise<void> = async () => undefined;
  const cleanup = async () => {
    if (cleaningUp) return;
    cleaningUp = true;
    sampler?.stop();
    await pgActivity?.stop();
    await closeAdmin().catch(() => undefined);
    for (const r of receivers) r.stop();
    await ingest?.close().catch(() => undefined);
    await db?.end().catch(() => undefined);
    await stopStack(stack);
  };
  const watchdog = setTimeout(() => {
    result.void = true;
    result.voidReason = `time budget of ${P.budgetMs / 1000} s spent before the run finished`;
    result.durationSeconds = (Date.now() - t0) / 1000;
    writeResults(result);
    void cleanup().finally(() => process.exit(2));
  }, P.budgetMs);
  watchdog.unref();

  try {
    if (!process.env['DATABASE_URL'] || !process.env['KAFKA_BROKERS']) {
      const infra = await import(path.join(ROOT, 'tools', 'dev-infra', 'lib', 'infra.js'));
      const util = await import(path.join(ROOT, 'tools', 'dev-infra', 'lib', 'util.js'));
      infra.applyToEnv(await infra.ensureInfra({ log: util.logger('bench:e2e') }));
    }
    log(`ingest: ${INGEST}`);
    const nodeSink = await NodeSink.start();
    receivers.push(nodeSink);
    const go = await GoSink.start(ROOT, path.join(ROOT, '.herald', 'bench'));
    let goSink: GoSink | undefined;
    if (go instanceof GoSink) {
      goSink = go;
      receivers.push(go);
      log(`receiver: the Go sink (bench/sink-go) at ${go.url}`);
    } else {
      result.goSinkMissing = go.missing;
      log(
        `NO GO SINK: ${go.missing} — Herald delivers to the Node sink instead, and the run has no Go-sink ceiling (goSinkRatio null)`,
      );
    }
    const theSink: Receiver = goSink ?? nodeSink;
    result.receiver = theSink.name;
    const st = await startStack(stack);
    const services = st.services;
    const url = (s: Service) => services.get(s)?.url ?? '';
    const brokerPort = Number((process.env['KAFKA_BROKERS'] ?? '').split(',')[0].split(':')[1]);
    const brokerPid = brokerPort ? listenerPid(brokerPort) : 0;
    if (!brokerPid) log('the Kafka broker is not a local process: its CPU is not sampled');
    const pgPort = Number(new URL(process.env['DATABASE_URL'] ?? 'postgres://x').port || 5432);
    const postmasterPid = listenerPid(pgPort);
    sampler = new Sampler(
      () => ({
        ...Object.fromEntries(SERVICES.map((s) => [s, services.get(s)?.pid ?? 0])),
        'sink-node': nodeSink.pid,
        ...(goSink ? { 'sink-go': goSink.pid } : {}),
        ...(brokerPid ? { broker: brokerPid } : {}),
      }),
      postmasterPid ? { postgres: postmasterPid } : {},
    );
    sampler.start();
    sampler.sample();
    result.rssMbAtStart = sampler.rss();
    try {
      pgActivity = await PgActivity.start(st.database.url);
    } catch (e) {
      log(`PostgreSQL's autovacuum activity is not sampled: ${e instanceof Error ? e.message : String(e)}`);
    }
    const thePgActivity = pgActivity;
    const cpu: Record<string, Record<string, number>> = {};
    const seconds: Record<string, number> = {};
    const messages: Record<string, Record<string, number>> = {};
    const stages: Record<string, Record<string, number>> = {};
    let mark = sampler.cpu();
    let markAt = Date.now();
    const readStages = () =>
      Promise.all(
        STAGES.map((st) =>
          histogram(url(st.service), st.histogram).catch(() => ({ sum: 0, count: 0 })),
        ),
      );
    let stageMark = await readStages();
    const theSampler = sampler;
    let phaseNo = 0;
    // Messages each phase wrote to each of Herald's topics (the difference of their end offsets;
    // no producer of Herald's is transactional, so no markers among them): what a phase caused
    // beyond its deliveries (retry tiers, the DLQ, snapshots).
    const topicAdmin = new Kafka({ clientId: 'bench-e2e-offsets', brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','), logLevel: logLevel.NOTHING }).admin();
    closeAdmin = () => topicAdmin.disconnect();
    await topicAdmin.connect();
    const endOffsets = async () => {
      const out: Record<string, number> = {};
      for (const t of ALL_TOPICS) {
        const offsets = await topicAdmin.fetchTopicOffsets(topicName(t, st.namespace)).catch(() => []);
        out[t.name] = offsets.reduce((n, o) => n + Number(o.high), 0);
      }
      return out;
    };
    let offsetsMark = await endOffsets();
    const phase = async (name: string) => {
      const offsetsNow = await endOffsets();
      messages[name] = Object.fromEntries(
        Object.entries(offsetsNow)
          .map(([t, n]) => [t, n - (offsetsMark[t] ?? 0)])
          .filter(([, n]) => n !== 0),
      );
      offsetsMark = offsetsNow;
      if (METRICS_DIR) {
        mkdirSync(METRICS_DIR, { recursive: true });
        const n = String(phaseNo++).padStart(2, '0');
        await Promise.all(
          SERVICES.map(async (s) => {
            const text = await (await fetch(`${url(s)}/metrics`)).text().catch(() => '');
            writeFileSync(path.join(METRICS_DIR, `${n}-${name.replace(/[^a-z0-9-]+/gi, '_')}.${s}.prom`), text);
          }),
        );
      }
      theSampler.endPhase(name);
      await thePgActivity?.endPhase(name);
      const now = theSampler.cpu();
      cpu[name] = cpuDelta(mark, now);
      seconds[name] = round((Date.now() - markAt) / 1000, 2);
      mark = now;
      markAt = Date.now();
      const stageNow = await readStages();
      stages[name] = Object.fromEntries(
        STAGES.map((st, i) => {
          const count = stageNow[i].count - stageMark[i].count;
          return [
            st.stage,
            count > 0 ? round(((stageNow[i].sum - stageMark[i].sum) / count) * 1000) : NaN,
          ];
        }),
      );
      stageMark = stageNow;
    };

    /** What the registry has not logged yet: outcomes of attempts made, deliveries routed. */
    const backlog = async () => {
      const [attempts, outcomes, matches, queued] = await Promise.all([
        metric(url('delivery-dispatcher'), 'herald_delivery_attempt_duration_seconds_count'),
        metric(url('subscription-registry'), 'herald_delivery_log_outcomes_total'),
        metric(url('event-router'), 'herald_router_matches_total'),
        metric(url('subscription-registry'), 'herald_delivery_log_queued_total'),
      ]);
      return { outcomes: Math.max(0, attempts - outcomes), queued: Math.max(0, matches - queued) };
    };
    /** Waits until the registry logged what came before (`P.settleMs`), then starts the next phase's clock. */
    const settle = async (name: string): Promise<NoisyRound['settled']> => {
      if (P.settleMs <= 0) return null;
      const from = Date.now();
      let behind = await backlog();
      const first = behind;
      while ((behind.outcomes > 0 || behind.queued > 0) && Date.now() - from < P.settleMs) {
        await sleep(100);
        behind = await backlog();
      }
      log(
        `${name}: waited ${Date.now() - from} ms for the registry to log what came before (${first.outcomes} outcomes, ${first.queued} routed deliveries; left: ${behind.outcomes}, ${behind.queued})`,
      );
      await phase(`${name}: settle`);
      return { outcomesBehind: first.outcomes, routedBehind: first.queued, waitedMs: Date.now() - from };
    };

    const createTenant = async (slug: string, domain: string): Promise<BenchTenant> =>
      JSON.parse(
        (
          await node('domain-api', 'cli', st.env, [
            'tenant:create',
            '--slug',
            `${slug}-${randomUUID().slice(0, 8)}`,
            '--domain',
            domain,
            '--admin-name',
            'Bench Admin',
            '--admin-email',
            `admin@${domain}`,
          ])
        )
          .trim()
          .split('\n')
          .pop() ?? '',
      ) as BenchTenant;
    // The healthy tenant (every phase's load but the bad neighbours'), and the bad neighbours'
    // own: its hooks, its changes, its API key, so that the dispatcher's per-tenant shares are
    // what stands between the two (issue 12: one tenant's bad receiver never holds back another's).
    const tenant = await createTenant('bench', 'bench.example.test');
    const badTenant = await createTenant('bench-bad', 'bad.bench.example.test');
    if (INGEST === 'api') {
      ingest = new ApiIngest(url('domain-api'), tenant, P.apiSenders);
    } else if (INGEST === 'bus') {
      ingest = new BusIngest(await connectedProducer('bench-e2e-ingest'), tenant, st.namespace);
    } else {
      db = new Client({ connectionString: st.database.url, application_name: 'bench-e2e' });
      await db.connect();
      ingest = new SqlIngest(db, tenant);
    }
    const theIngest = ingest;
    const specs = (n: number, projects: string[], prefix: string): ChangeSpec[] =>
      Array.from({ length: n }, (_, j) => ({
        projectId: projects[j % projects.length],
        resourceId: `${prefix}-${j}`,
      }));

    // Hooks: one project each, so each change matches exactly one hook.
    const warmupProjects = await theIngest.projects(P.healthyHooks);
    const steadyProjects = await theIngest.projects(P.healthyHooks);
    const noisyProjects = await theIngest.projects(P.healthyHooks);
    const badProjects = new Map<BadKind, string[]>();
    for (const b of BAD_KINDS) badProjects.set(b.kind, await theIngest.projects(P.badHooks, badTenant));
    const latencyProjects = await theIngest.projects(P.healthyHooks);
    /** A hook to create: the healthy tenant's unless `tenant` says otherwise, with `settings` beyond url, event types and scope. */
    interface HookSpec {
      url: string;
      projectId: string;
      tenant?: BenchTenant;
      kind?: BadKind;
      settings?: Record<string, unknown>;
    }
    const hooks: HookSpec[] = [
      ...warmupProjects.map((p, i) => ({ url: `${theSink.url}/ok/warmup/${i}`, projectId: p })),
      ...steadyProjects.map((p, i) => ({ url: `${theSink.url}/ok/steady/${i}`, projectId: p })),
      ...noisyProjects.map((p, i) => ({ url: `${theSink.url}/ok/noisy/${i}`, projectId: p })),
      ...latencyProjects.map((p, i) => ({ url: `${theSink.url}/ok/latency/${i}`, projectId: p })),
      ...BAD_KINDS.flatMap((b) =>
        (badProjects.get(b.kind) ?? []).map((p, i) => ({
          url: `${theSink.url}/${b.answer}/noisy-${b.kind}/${i}${'query' in b ? b.query : ''}`,
          projectId: p,
          tenant: badTenant,
          kind: b.kind,
          settings: {
            ...b.hook,
            // Never auto-disabled (it would turn their deliveries into Discarded, never sent).
            failurePolicy: { autoDisableAfter: null, unsubscribeOn: [] },
          },
        })),
      ),
    ];
    log(`creating ${hooks.length} hooks through POST /v1/webhooks (the bad neighbours' as a second tenant)`);
    /** The bad tenant's hook ids, by kind (their attempts are read back through its own API key). */
    const badHookIds = new Map<BadKind, string[]>();
    await inParallel(hooks, 4, async ({ url: hookUrl, projectId, tenant: owner = tenant, kind, settings }) => {
      const id = await createHook(url('subscription-registry'), owner, {
        url: hookUrl,
        eventTypes: [theIngest.eventType],
        scope: { kind: 'project', projectId },
        ...settings,
      });
      if (kind) badHookIds.set(kind, [...(badHookIds.get(kind) ?? []), id]);
    });
    await waitFor(
      async () =>
        (await metric(url('event-router'), 'herald_router_subscriptions')) >= hooks.length,
      {
        timeoutMs: 30_000,
        message: 'the router holds every hook',
      },
    );
    await sleep(1_000); // the dispatcher follows the same topic
    await phase('setup');

    // Idle: everything set up, nothing to deliver (consumers polling, heartbeats).
    log(`idle: ${P.idleSeconds} s`);
    await sleep(P.idleSeconds * 1_000);
    await phase('idle');
    result.idleCpuPercent = Object.fromEntries(
      Object.entries(cpu['idle']).map(([n, s]) => [n, round((s / seconds['idle']) * 100, 1)]),
    );

    // Ceilings.
    const concurrency = P.healthyHooks * P.inFlightPerHook;
    const sampleBody = JSON.stringify({
      type: 'task.updated',
      timestamp: new Date().toISOString(),
      data: { id: 'r', name: 'after', projectId: 'p' },
    });
    log(`ceiling: ${P.ceilingRequests} bare undici POSTs at concurrency ${concurrency}, Node sink`);
    const ceilingPerSec = await ceiling(nodeSink.url, P.ceilingRequests, concurrency, sampleBody);
    let goCeilingPerSec: number | null = null;
    if (goSink) {
      log(`ceiling: the same to the Go sink`);
      goCeilingPerSec = await ceiling(goSink.url, P.ceilingRequests, concurrency, sampleBody);
    }
    await phase('ceiling');

    // Warm-up (JIT, connection pools, lazily loaded code): delivered and ledgered, not measured.
    log(`warm-up: ${P.warmupChanges} changes`);
    await theIngest.send(specs(P.warmupChanges, warmupProjects, 'warmup'));
    const warm = await waitUnique(theSink, 'ok/warmup', P.warmupChanges, 60_000);
    if (warm.unique < P.warmupChanges)
      throw new Error(`warm-up: ${warm.unique} of ${P.warmupChanges} delivered in time`);
    await phase('warm-up');

    // Steady.
    await settle('steady');
    log(`steady: ${P.steadyChanges} changes over ${P.healthyHooks} hooks`);
    const steadyStart = Date.now();
    await theIngest.send(specs(P.steadyChanges, steadyProjects, 'steady'));
    const steady = await waitUnique(theSink, 'ok/steady', P.steadyChanges, 90_000);
    if (steady.unique < P.steadyChanges)
      throw new Error(`steady: ${steady.unique} of ${P.steadyChanges} delivered in time`);
    const steadyRate = steady.unique / ((steady.lastAt - steadyStart) / 1000);
    await phase('steady');
    result.cpuMicrosPerDelivery = Object.fromEntries(
      Object.entries(cpu['steady']).map(([n, s]) => [n, Math.round((s / steady.unique) * 1e6)]),
    );
    if (brokerPid) {
      result.broker = {
        pid: brokerPid,
        idleCpuPercent: round(((cpu['idle']['broker'] ?? 0) / seconds['idle']) * 100, 1),
        steadyCpuPercent: round(((cpu['steady']['broker'] ?? 0) / seconds['steady']) * 100, 1),
      };
    } else {
      result.broker = null;
    }

    // Noisy neighbours: the same healthy burst on the same 16 hooks, first alone, then beside
    // each kind of the second tenant's bad hooks in turn (its changes spread through it); each
    // phase ends once the bad deliveries made all their requests and none is in flight, so the
    // next one measures its own kind.
    const badChanges = P.badHooks * P.noisyBadChangesPerHook;
    const noisyResults: Partial<Record<NoisyPhase, NoisyResult>> = {};
    /** Each phase's healthy rate, in the order they ran (for the adjacent no-neighbour control). */
    const phaseRates: number[] = [];
    /** Each phase's own figures but its shares (computed once every phase ran), in the order they ran. */
    const phaseFigures: Omit<NoisyRound, 'round' | 'healthyShareOfSteady' | 'healthyShareOfAdjacentNone'>[] = [];
    const spilled = () =>
      metric(url('delivery-dispatcher'), 'herald_delivery_spilled_total').catch(() => NaN);
    for (const [phaseIndex, k] of NOISY_PHASES.entries()) {
      const rep = NOISY_PHASES.slice(0, phaseIndex).filter((x) => x === k).length;
      const b = BAD_KINDS.find((x) => x.kind === k);
      const name = `noisy: ${k}${rep > 0 ? ` #${rep + 1}` : ''}`;
      if (P.vacuumBeforePhase) {
        const vacuumed = await vacuumTables(st.database.url);
        log(`${name}: VACUUM (ANALYZE) of ${vacuumed.length} tables`);
        await phase(`${name}: vacuum`);
      }
      const settled = await settle(name);
      const nBad = b ? badChanges : 0;
      log(
        `noisy, ${k}: ${P.noisyChanges} healthy changes${b ? ` + ${nBad} to ${P.badHooks} hooks that ${b.what}` : ''}`,
      );
      const projectsOfBad = b ? (badProjects.get(b.kind) ?? []) : [];
      const changes: ChangeSpec[] = [];
      const every = Math.max(1, Math.floor(P.noisyChanges / Math.max(1, nBad)));
      let bad = 0;
      for (let j = 0; j < P.noisyChanges; j++) {
        changes.push({
          projectId: noisyProjects[j % P.healthyHooks],
          resourceId: `noisy-${k}-${rep}-${j}`,
        });
        if (j % every === 0 && bad < nBad) {
          changes.push({
            projectId: projectsOfBad[bad % P.badHooks],
            resourceId: `${k}-${rep}-${bad}`,
            tenant: badTenant,
          });
          bad++;
        }
      }
      while (bad < nBad)
        changes.push({
          projectId: projectsOfBad[bad % P.badHooks],
          resourceId: `${k}-${rep}-${bad++}`,
          tenant: badTenant,
        });
      const before = await theSink.kind('ok/noisy', -1);
      const parkedBefore = await spilled();
      const start = Date.now();
      await theIngest.send(changes);
      const sentAt = Date.now();
      const healthy = await waitUnique(
        theSink,
        'ok/noisy',
        before.unique + P.noisyChanges,
        90_000,
        before.latencyCount,
      );
      if (healthy.unique < before.unique + P.noisyChanges)
        throw new Error(
          `noisy, ${k}: ${healthy.unique - before.unique} of ${P.noisyChanges} healthy deliveries in time`,
        );
      const rate = P.noisyChanges / ((healthy.lastAt - start) / 1000);
      const lat = [...healthy.latenciesMs].sort((x, y) => x - y);
      log(
        `noisy, ${k}: ${round(rate)} healthy deliveries/s (${round(rate / steadyRate, 3)} of steady), p50 ${round(percentile(lat, 50))} ms, p90 ${round(percentile(lat, 90))} ms, p99 ${round(percentile(lat, 99))} ms, max ${round(lat[lat.length - 1])} ms; sent in ${sentAt - start} ms, last at ${healthy.lastAt - start} ms`,
      );
      // CPU until the last healthy delivery (the window the share is measured over), apart from
      // the bad neighbours' tail after it (a hanging hook works off its deliveries one timeout
      // at a time, long after the healthy burst).
      phaseRates[phaseIndex] = rate;
      await phase(name);
      if (b) {
        // The tail ends once each bad delivery made its every request (an ordered-failing one's
        // retry 1 s after its first) and nothing is in flight (a hanging one's last timeout), so
        // that none of it runs into the next phase.
        const tailFrom = Date.now();
        await waitArrivals(theSink, badSinkKind(b), b.attempts * nBad * (rep + 1), 30_000);
        while (
          (await metric(url('delivery-dispatcher'), 'herald_deliveries_in_flight').catch(() => 0)) > 0 &&
          Date.now() - tailFrom < 30_000 * P.waitScale
        )
          await sleep(100);
        await phase(`${name}: bad neighbours' tail`);
      }
      phaseFigures[phaseIndex] = {
        phase: name,
        healthyDeliveriesPerSec: rate,
        healthyP50Ms: percentile(lat, 50),
        healthyP99Ms: percentile(lat, 99),
        parked: (await spilled()) - parkedBefore,
        settled,
        pg: pgActivity?.byPhase[name],
        ...topicWrites(messages[name], b ? messages[`${name}: bad neighbours' tail`] : undefined),
      };
    }

    // Each kind over its rounds: each round against the steady phase and against the
    // no-neighbour bursts next to it (the paired control), and the medians of those.
    const shares = roundShares(NOISY_PHASES, phaseRates, steadyRate);
    const noneRates = (shares.get(NONE) ?? []).map((r) => r.rate);
    for (const [kind, runs] of shares) {
      const k = kind as NoisyPhase;
      const sum = summarizeRounds(runs);
      const rounds: NoisyRound[] = runs.map((r) => ({
        ...phaseFigures[r.phaseIndex],
        round: r.round,
        healthyShareOfSteady: r.shareOfSteady,
        healthyShareOfAdjacentNone: r.shareOfAdjacentNone,
      }));
      const total = (pick: (r: NoisyRound) => number) => rounds.reduce((n, r) => n + pick(r), 0);
      noisyResults[k] = {
        healthyDeliveriesPerSec: sum.medianRate,
        healthyShareOfSteady: sum.medianShareOfSteady,
        healthyShareOfSteadyMin: sum.minShareOfSteady,
        healthyShareOfNoneBursts: noneRates.length ? sum.medianRate / median(noneRates) : NaN,
        healthyShareOfAdjacentNone: sum.medianShareOfAdjacentNone,
        healthyShareOfAdjacentNoneMin: sum.minShareOfAdjacentNone,
        healthyP50Ms: median(rounds.map((r) => r.healthyP50Ms)),
        healthyP99Ms: median(rounds.map((r) => r.healthyP99Ms)),
        badHooks: k === NONE ? 0 : P.badHooks,
        badDeliveries: k === NONE ? 0 : badChanges * rounds.length,
        badAttempted: 0,
        parked: total((r) => r.parked),
        badTenant: null,
        retryTierMessages: total((r) => r.retryTierMessages),
        dlqMessages: total((r) => r.dlqMessages),
        rounds,
      };
    }

    // Latency at a fixed rate.
    const latencyChanges = P.latencyRate * P.latencySeconds;
    log(`latency: ${latencyChanges} changes at ${P.latencyRate}/s`);
    const latStart = Date.now();
    let latSent = 0;
    while (latSent < latencyChanges) {
      const due = Math.min(
        latencyChanges,
        Math.floor(((Date.now() - latStart) / 1000) * P.latencyRate),
      );
      if (due > latSent) {
        const batch = Array.from({ length: due - latSent }, (_, k) => ({
          projectId: latencyProjects[(latSent + k) % P.healthyHooks],
          resourceId: `lat-${latSent + k}`,
        }));
        await theIngest.send(batch);
        latSent = due;
      } else {
        await sleep(5);
      }
    }
    const achievedRate = latencyChanges / ((Date.now() - latStart) / 1000);
    const latency = await waitUnique(theSink, 'ok/latency', latencyChanges, 60_000, 0);
    if (latency.unique < latencyChanges)
      throw new Error(`latency: ${latency.unique} of ${latencyChanges} delivered in time`);
    const sorted = [...latency.latenciesMs].sort((a, b) => a - b);
    await phase('latency');

    // Fan-out: 10,000 subscriptions on one project of the bench tenant, as snapshots on the
    // compacted topic (what the registry publishes; creating them one by one through the API
    // would take longer than the whole budget), with a signing secret sealed under the key the
    // dispatcher is given.
    log(`fan-out: publishing ${P.fanout} subscription snapshots`);
    const [fanProject] = await theIngest.projects(1);
    const box = SecretBox.fromSpec(st.secretsKey);
    const secret = box.encrypt(`whsec_${randomBytes(24).toString('base64')}`);
    const now = new Date().toISOString();
    const snapshot = (i: number): SubscriptionSnapshot =>
      subscriptionSnapshotFixture({
        id: randomUUID(),
        tenantId: tenant.tenantId,
        ownerUserId: tenant.userId,
        url: `${theSink.url}/fan/fanout/${i}`,
        eventTypes: [theIngest.eventType],
        scope: { kind: 'project', projectId: fanProject },
        retryPolicy: { scheduleMs: [1_000], maxAttempts: 3, maxAgeMs: 60_000, onExhausted: 'dlq' },
        signingSecrets: [{ secret, expiresAt: null }],
        updatedAt: now,
      });
    const producer = await connectedProducer('bench-e2e');
    for (let i = 0; i < P.fanout; i += 1_000) {
      const messages = Array.from({ length: Math.min(1_000, P.fanout - i) }, (_, k) => {
        const s = snapshot(i + k);
        return { key: s.id, value: JSON.stringify(s) };
      });
      await producer.send({
        topic: topicName(Topics.Subscriptions, st.namespace),
        acks: -1,
        messages,
      });
    }
    await producer.disconnect();
    await waitFor(
      async () =>
        (await metric(url('event-router'), 'herald_router_subscriptions')) >=
        hooks.length + P.fanout,
      {
        timeoutMs: 30_000,
        message: 'the router holds the fan-out subscriptions',
      },
    );
    await sleep(3_000); // and the dispatcher too
    await phase('fan-out setup');
    const fanStart = Date.now();
    await theIngest.send([{ projectId: fanProject, resourceId: 'fan-0' }]);
    const fan = await waitUnique(theSink, 'fan/fanout', P.fanout, 60_000);
    if (fan.unique < P.fanout)
      throw new Error(`fan-out: ${fan.unique} of ${P.fanout} delivered in time`);
    const fanSeconds = (fan.lastAt - fanStart) / 1000;
    await phase('fan-out');

    // The bad neighbours' deliveries go on meanwhile (timeouts, 1/s, retries); wait until each
    // reached the sink at least once.
    for (const b of RUN_BAD_KINDS()) {
      const seen = await waitUnique(theSink, badSinkKind(b), badChanges * runsOf(b.kind), 30_000);
      const r = noisyResults[b.kind];
      if (r) r.badAttempted = seen.unique;
    }
    // What the bad tenant got, read back through its own API key once each of its deliveries
    // ended (delivered, or dead-lettered after its last attempt) and the registry logged it.
    const badDeadline = Date.now() + Math.min(30_000 * P.waitScale, Math.max(0, left() - 60_000));
    for (const b of RUN_BAD_KINDS()) {
      const r = noisyResults[b.kind];
      if (!r) continue;
      try {
        for (;;) {
          r.badTenant = await tenantHookStats(url('subscription-registry'), badTenant, badHookIds.get(b.kind) ?? []);
          const { delivered, failed, discarded } = r.badTenant.attempts;
          if (delivered + failed + discarded >= badChanges * runsOf(b.kind) || Date.now() > badDeadline) break;
          await sleep(250);
        }
      } catch (e) {
        log(`the bad tenant's ${b.kind} stats: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    await sleep(1_000);

    // Ledger.
    const all = await theSink.stats();
    const known = new Set([
      'ok/warmup',
      'ok/steady',
      'ok/noisy',
      'ok/latency',
      ...BAD_KINDS.map(badSinkKind),
      'fan/fanout',
      'ceiling/loop',
    ]);
    const expected =
      P.warmupChanges +
      P.steadyChanges +
      NOISY_PHASES.length * P.noisyChanges +
      RUN_BAD_KINDS().reduce((n, b) => n + runsOf(b.kind) * badChanges, 0) +
      latencyChanges +
      P.fanout;
    const delivered = ['ok/warmup', 'ok/steady', 'ok/noisy', 'ok/latency', 'fan/fanout'].reduce(
      (n, k) => n + (all[k]?.unique ?? 0),
      0,
    );
    const failed = BAD_KINDS.reduce((n, b) => n + (all[badSinkKind(b)]?.unique ?? 0), 0);
    const routerMatches = await metric(url('event-router'), 'herald_router_matches_total');
    const parked = await metric(url('delivery-dispatcher'), 'herald_delivery_spilled_total').catch(
      () => NaN,
    );
    // The bad neighbours' retries (ordered and failing: two attempts each) are theirs by design.
    const duplicates = Object.entries(all)
      .filter(([k]) => k !== 'ceiling/loop' && !BAD_KINDS.some((b) => badSinkKind(b) === k))
      .reduce((n, [, s]) => n + s.duplicates, 0);
    const unexpected = Object.entries(all)
      .filter(([k]) => !known.has(k))
      .reduce((n, [, s]) => n + s.arrivals, 0);
    const missing = expected - delivered - failed;
    const balanced =
      missing === 0 &&
      routerMatches === expected &&
      unexpected === 0 &&
      theIngest.committed === expected - P.fanout + 1;
    result.ledger = {
      changesCommitted: theIngest.committed,
      deliveriesExpected: expected,
      routerMatches,
      delivered,
      failed,
      missing,
      duplicates,
      unexpected,
      balanced,
      parked,
    };
    sampler.endPhase('wind-down (bad neighbours, ledger)');
    result.rssMb = sampler.peakRssMb;
    result.rssMbByPhase = sampler.peakRssMbByPhase;
    result.cpuSecondsByPhase = cpu;
    result.pgActivityByPhase = pgActivity?.byPhase;
    result.noisyOrder = [...NOISY_PHASES];
    result.messagesByPhase = messages;
    result.secondsByPhase = seconds;
    result.stageMeansMsByPhase = stages;
    if (!balanced) {
      result.voidReason = `the ledger does not balance (missing ${missing}, router matches ${routerMatches} of ${expected} expected, unexpected ${unexpected})`;
    } else {
      result.void = false;
      result.steady = {
        changes: P.steadyChanges,
        deliveriesPerSec: steadyRate,
        ceilingPerSec,
        ratio: steadyRate / ceilingPerSec,
        goCeilingPerSec,
        concurrency,
      };
      result.goSinkRatio = goCeilingPerSec ? steadyRate / goCeilingPerSec : null;
      result.fanout = { subscriptions: P.fanout, seconds: fanSeconds };
      result.noisy = noisyResults as NonNullable<Result['noisy']>;
      result.latency = {
        ratePerSec: P.latencyRate,
        changes: latencyChanges,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        maxMs: sorted[sorted.length - 1],
        achievedRatePerSec: achievedRate,
      };
    }
  } catch (e) {
    result.void = true;
    result.voidReason = `the run failed: ${e instanceof Error ? e.message : String(e)}`;
    log(result.voidReason);
  }
  clearTimeout(watchdog);
  log('cleaning up');
  await cleanup();
  if (PROFILE_DIR) result.profiles = path.relative(ROOT, PROFILE_DIR);
  result.durationSeconds = (Date.now() - t0) / 1000;
  result.loadAverage = {
    start: round(loadAtStart, 2),
    end: round(loadavg()[0], 2),
    cores: cpus().length,
  };
  result.valid = !result.void && loadAtStart < MAX_VALID_LOAD;
  writeResults(result);
  return result.void ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench:e2e: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
