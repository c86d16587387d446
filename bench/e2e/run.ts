import { execFile, fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { Pool } from 'undici';
import {
  Topics,
  resourceChangeKey,
  topicName,
  type ResourceChange,
  type SubscriptionSnapshot,
} from '@herald/contracts';
import { SecretBox } from '@herald/platform/crypto';
import {
  createTestDatabase,
  deleteKafkaNamespace,
  spawnService,
  subscriptionSnapshotFixture,
  uniqueKafkaNamespace,
  waitFor,
  type SpawnedService,
  type TestDatabase,
} from '@herald/platform/testing';

/*
 * `npm run bench:e2e`: Herald end to end on loopback — the four services as processes, a sink
 * receiver in its own process, changes committed to the domain API's outbox table in SQL (the
 * relay streams them from the WAL to Kafka, the router fans them out, the dispatcher POSTs them).
 * Bounded: it gives up, prints VOID and cleans up when its time budget is spent.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = path.join(ROOT, 'bench', 'results');
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const P = {
  budgetMs: num('BENCH_BUDGET_MS', 285_000),
  healthyHooks: num('BENCH_HEALTHY_HOOKS', 16),
  hangHooks: num('BENCH_HANG_HOOKS', 4),
  warmupChanges: num('BENCH_WARMUP_CHANGES', 4_000),
  steadyChanges: num('BENCH_STEADY_CHANGES', 16_000),
  noisyHangChangesPerHook: num('BENCH_NOISY_HANG_CHANGES_PER_HOOK', 25),
  hangTimeoutMs: num('BENCH_HANG_TIMEOUT_MS', 1_000),
  latencyRate: num('BENCH_LATENCY_RATE', 1_000),
  latencySeconds: num('BENCH_LATENCY_SECONDS', 10),
  fanout: num('BENCH_FANOUT', 10_000),
  ceilingRequests: num('BENCH_CEILING_REQUESTS', 10_000),
  /** The dispatcher's default in-flight cap per subscription (HERALD_DISPATCH_MAX_IN_FLIGHT_PER_SUBSCRIPTION). */
  inFlightPerHook: num('BENCH_IN_FLIGHT_PER_HOOK', 4),
};
const SERVICES = [
  'domain-api',
  'subscription-registry',
  'event-router',
  'delivery-dispatcher',
] as const;
type Service = (typeof SERVICES)[number];

const t0 = Date.now();
const left = () => P.budgetMs - (Date.now() - t0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) =>
  process.stdout.write(`[bench:e2e +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// The sink (its own process) and its statistics.

interface KindStats {
  arrivals: number;
  unique: number;
  duplicates: number;
  firstAt: number;
  lastAt: number;
  latenciesMs: number[];
}
type SinkStats = Record<string, KindStats>;

class Sink {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<Sink> {
    const child = fork(path.join(__dirname, 'sink.ts'), [], {
      execArgv: ['-r', '@swc-node/register'],
      stdio: 'inherit',
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.on(
        'message',
        (m: { cmd: string; port?: number }) => m.cmd === 'listening' && resolve(m.port ?? 0),
      );
    });
    return new Sink(child, `http://127.0.0.1:${port}`);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  stats(): Promise<SinkStats> {
    return new Promise((resolve) => {
      const onMessage = (m: { cmd: string; stats?: SinkStats }) => {
        if (m.cmd !== 'stats') return;
        this.child.off('message', onMessage);
        resolve(m.stats ?? {});
      };
      this.child.on('message', onMessage);
      this.child.send({ cmd: 'stats' });
    });
  }

  async kind(kind: string): Promise<KindStats> {
    return (
      (await this.stats())[kind] ?? {
        arrivals: 0,
        unique: 0,
        duplicates: 0,
        firstAt: 0,
        lastAt: 0,
        latenciesMs: [],
      }
    );
  }

  stop(): void {
    if (this.child.connected) this.child.send({ cmd: 'stop' });
    setTimeout(() => this.child.kill('SIGKILL'), 2_000).unref();
  }
}

// ---------------------------------------------------------------------------------------------
// Process sampling: peak RSS and CPU seconds per service (the "profile" of where time goes).

function procStatus(pid: number): { rssMb: number; cpuSeconds: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15)
    return { rssMb: rssKb / 1024, cpuSeconds: ticks / 100 };
  } catch {
    return null;
  }
}

class Sampler {
  readonly peakRssMb: Record<string, number> = {};
  private timer?: NodeJS.Timeout;
  constructor(private readonly pids: () => Record<string, number>) {}
  start(): void {
    this.timer = setInterval(() => this.sample(), 250);
  }
  sample(): void {
    for (const [name, pid] of Object.entries(this.pids())) {
      const s = procStatus(pid);
      if (s)
        this.peakRssMb[name] = Math.max(this.peakRssMb[name] ?? 0, Math.round(s.rssMb * 10) / 10);
    }
  }
  cpu(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.pids()).map(([n, pid]) => [n, procStatus(pid)?.cpuSeconds ?? 0]),
    );
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

const cpuDelta = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(
    Object.keys(b).map((k) => [k, Math.round(((b[k] ?? 0) - (a[k] ?? 0)) * 100) / 100]),
  );

// ---------------------------------------------------------------------------------------------
// The stack.

interface Stack {
  namespace: string;
  database: TestDatabase;
  env: Record<string, string>;
  services: Map<Service, SpawnedService>;
  secretsKey: string;
}

async function node(
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<string> {
  const { stdout } = await run(process.execPath, ['-r', '@swc-node/register', entry, ...args], {
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
  const env = {
    DATABASE_URL: database.url,
    HERALD_KAFKA_NAMESPACE: namespace,
    HERALD_SSRF_ALLOW_CIDRS: '127.0.0.0/8',
    HERALD_SECRETS_KEY: secretsKey,
    HERALD_OUTBOX_SLOT: `outbox_${namespace.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(
      0,
      63,
    ),
    LOG_LEVEL: 'warn',
  };
  const services = new Map<Service, SpawnedService>();
  Object.assign(stack, { secretsKey, env, services });
  log(`database ${database.name}, Kafka namespace ${namespace}: migrating`);
  await Promise.all(
    ['domain-api', 'subscription-registry'].map((app) => node(`apps/${app}/src/migrate.ts`, env)),
  );
  log('starting the four services');
  const started = await Promise.all(
    SERVICES.map((app) =>
      spawnService(app, env, { readyTimeoutMs: Math.max(10_000, left() - 60_000) }),
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

interface Tenant {
  tenantId: string;
  userId: string;
  apiKey: string;
}

async function createHook(
  registry: string,
  tenant: Tenant,
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

class Outbox {
  committed = 0;
  constructor(
    private readonly db: Client,
    private readonly tenant: Tenant,
  ) {}

  change(tenantId: string, projectId: string, resourceId: string): ResourceChange {
    return {
      eventId: randomUUID(),
      tenantId,
      projectId,
      resourceType: 'task',
      resourceId,
      action: 'updated',
      occurredAt: new Date().toISOString(),
      initiator: {
        userId: this.tenant.userId,
        fullName: 'Bench Bot',
        logonAccount: 'bench@example.test',
      },
      before: { id: resourceId, name: 'before', projectId },
      after: { id: resourceId, name: 'after', projectId },
      changedFields: ['name'],
    };
  }

  /** One INSERT (one transaction) per call: what the domain API's writer commits, without the resource row. */
  async commit(changes: ResourceChange[]): Promise<void> {
    for (let i = 0; i < changes.length; i += 500) {
      const chunk = changes.slice(i, i + 500);
      const now = new Date().toISOString();
      for (const c of chunk) c.occurredAt = now;
      const values: unknown[] = [];
      const rows = chunk.map((c, j) => {
        values.push(c.eventId, resourceChangeKey(c), JSON.stringify(c));
        return `($${j * 3 + 1}, $${j * 3 + 2}, $${j * 3 + 3}::jsonb, '{}'::jsonb)`;
      });
      await this.db.query(
        `INSERT INTO domain.outbox (id, aggregate_key, payload, headers) VALUES ${rows.join(', ')}`,
        values,
      );
      this.committed += chunk.length;
    }
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
    : NaN;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

async function waitUnique(
  sink: Sink,
  kind: string,
  count: number,
  capMs: number,
): Promise<KindStats> {
  const deadline = Date.now() + Math.min(capMs, Math.max(0, left() - 15_000));
  for (;;) {
    const s = await sink.kind(kind);
    if (s.unique >= count || Date.now() > deadline) return s;
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------
// The ceiling: a bare undici POST loop to the same sink, at Herald's concurrency.

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
  startedAt: string;
  durationSeconds: number;
  parameters: typeof P;
  /** How the services ran: `build` (compiled, as npm start and the image run them) or `source` (HERALD_SERVICES_FROM=source). */
  servicesFrom: 'build' | 'source';
  steady?: {
    changes: number;
    deliveriesPerSec: number;
    ceilingPerSec: number;
    ratio: number;
    concurrency: number;
  };
  fanout?: { subscriptions: number; seconds: number };
  noisy?: {
    healthyDeliveriesPerSec: number;
    healthyShareOfSteady: number;
    hangingDeliveries: number;
    hangingAttempted: number;
  };
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
  };
  /** Peak resident memory per process over the run (VmRSS), and right after start-up (idle). */
  rssMb?: Record<string, number>;
  rssMbAtStart?: Record<string, number>;
  /** The machine's 1-minute load average at start and end (it is shared; 2 cores). */
  loadAverage?: { start: number; end: number; cores: number };
  cpuSecondsByPhase?: Record<string, Record<string, number>>;
  /** Mean ms from commit to each stage, per phase (from the services' histograms). */
  stageMeansMsByPhase?: Record<string, Record<string, number>>;
}

function writeResults(r: Result): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'e2e.json'), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, 'e2e.md'), markdown(r));
  process.stdout.write(`\n${markdown(r)}\n`);
}

function markdown(r: Result): string {
  const lines = [
    `# Herald end-to-end benchmark (${r.startedAt}, ${round(r.durationSeconds)} s, loopback)`,
    '',
  ];
  if (r.loadAverage) {
    lines.push(
      `Machine: ${r.loadAverage.cores} cores, 1-minute load average ${r.loadAverage.start} at start and ` +
        `${r.loadAverage.end} at end (shared with other work). ` +
        (r.servicesFrom === 'source'
          ? 'Services run from TypeScript through @swc-node/register (HERALD_SERVICES_FROM=source)'
          : 'Services run compiled (deploy/docker/compile.js, as `npm start` and the image run them)') +
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
  lines.push(
    '| measure | value | target |',
    '| --- | --- | --- |',
    `| steady: Herald deliveries/s (${s.changes} changes, one hook each, ${P.healthyHooks} hooks) | ${round(s.deliveriesPerSec)} | |`,
    `| steady: bare undici POST loop to the same sink, concurrency ${s.concurrency} (ceiling) | ${round(s.ceilingPerSec)} | |`,
    `| steady: ratio | ${round(s.ratio, 3)} | ≥ 0.40 (${target(s.ratio >= 0.4)}) |`,
    `| fan-out: one change → ${fanout.subscriptions} subscriptions, seconds to deliver all | ${round(fanout.seconds, 2)} | ≤ 5 (${target(fanout.seconds <= 5)}) |`,
    `| noisy neighbour: healthy deliveries/s (${P.hangHooks} of ${P.healthyHooks + P.hangHooks} hooks hang ${P.hangTimeoutMs} ms) | ${round(noisy.healthyDeliveriesPerSec)} | |`,
    `| noisy neighbour: healthy share of steady | ${round(noisy.healthyShareOfSteady, 3)} | ≥ 0.90 (${target(noisy.healthyShareOfSteady >= 0.9)}) |`,
    `| latency at ${latency.ratePerSec} changes/s (achieved ${round(latency.achievedRatePerSec)}): commit → receiver p50 | ${round(latency.p50Ms)} ms | |`,
    `| latency: p99 | ${round(latency.p99Ms)} ms | ≤ 150 ms (${target(latency.p99Ms <= 150)}) |`,
    ...Object.entries(r.rssMb ?? {}).map(
      ([n, mb]) =>
        `| peak RSS ${n} (idle after start: ${r.rssMbAtStart?.[n] ?? '?'} MB) | ${mb} MB | ` +
        `${n === 'sink' ? '' : `≤ 250 MB (${target(mb <= 250)})`} |`,
    ),
    '',
    '## Ledger',
    '',
    '| changes committed | deliveries expected (Σ matches) | router matches | delivered | failed (hanging receivers) | missing | duplicates | unexpected |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${ledger.changesCommitted} | ${ledger.deliveriesExpected} | ${ledger.routerMatches} | ${ledger.delivered} | ${ledger.failed} | ${ledger.missing} | ${ledger.duplicates} | ${ledger.unexpected} |`,
    '',
    '## CPU seconds per phase (where the time goes)',
    '',
    `| phase | ${Object.keys(r.rssMb ?? {}).join(' | ')} |`,
    `| --- | ${Object.keys(r.rssMb ?? {})
      .map(() => '---')
      .join(' | ')} |`,
    ...Object.entries(r.cpuSecondsByPhase ?? {}).map(
      ([phase, cpu]) =>
        `| ${phase} | ${Object.keys(r.rssMb ?? {})
          .map((n) => cpu[n] ?? '')
          .join(' | ')} |`,
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
  return lines.join('\n');
}

async function main(): Promise<number> {
  const result: Result = {
    void: true,
    startedAt: new Date(t0).toISOString(),
    durationSeconds: 0,
    parameters: P,
    servicesFrom: process.env['HERALD_SERVICES_FROM'] === 'source' ? 'source' : 'build',
  };
  const loadAtStart = loadavg()[0];
  const stack: Partial<Stack> = {};
  let sink: Sink | undefined;
  let sampler: Sampler | undefined;
  let db: Client | undefined;
  let cleaningUp = false;
  const cleanup = async () => {
    if (cleaningUp) return;
    cleaningUp = true;
    sampler?.stop();
    sink?.stop();
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
    const theSink = await Sink.start();
    sink = theSink;
    const st = await startStack(stack);
    const services = st.services;
    const url = (s: Service) => services.get(s)?.url ?? '';
    sampler = new Sampler(() => ({
      ...Object.fromEntries(SERVICES.map((s) => [s, services.get(s)?.pid ?? 0])),
      sink: theSink.pid,
    }));
    sampler.start();
    sampler.sample();
    result.rssMbAtStart = { ...sampler.peakRssMb };
    const cpu: Record<string, Record<string, number>> = {};
    const stages: Record<string, Record<string, number>> = {};
    let mark = sampler.cpu();
    const readStages = () =>
      Promise.all(
        STAGES.map((st) =>
          histogram(url(st.service), st.histogram).catch(() => ({ sum: 0, count: 0 })),
        ),
      );
    let stageMark = await readStages();
    const theSampler = sampler;
    const phase = async (name: string) => {
      const now = theSampler.cpu();
      cpu[name] = cpuDelta(mark, now);
      mark = now;
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

    const tenant = JSON.parse(
      (
        await node('apps/domain-api/src/cli.ts', st.env, [
          'tenant:create',
          '--slug',
          `bench-${randomUUID().slice(0, 8)}`,
          '--domain',
          'bench.example.test',
          '--admin-name',
          'Bench Admin',
          '--admin-email',
          'admin@bench.example.test',
        ])
      )
        .trim()
        .split('\n')
        .pop() ?? '',
    ) as Tenant;
    db = new Client({ connectionString: st.database.url, application_name: 'bench-e2e' });
    await db.connect();
    const outbox = new Outbox(db, tenant);

    // Hooks: one project each, so each change matches exactly one hook.
    const projects = (n: number) => Array.from({ length: n }, () => randomUUID());
    const warmupProjects = projects(P.healthyHooks);
    const steadyProjects = projects(P.healthyHooks);
    const noisyProjects = projects(P.healthyHooks);
    const hangProjects = projects(P.hangHooks);
    const latencyProjects = projects(P.healthyHooks);
    const hooks = [
      ...warmupProjects.map((p, i) => ({ url: `${theSink.url}/ok/warmup/${i}`, projectId: p })),
      ...steadyProjects.map((p, i) => ({ url: `${theSink.url}/ok/steady/${i}`, projectId: p })),
      ...noisyProjects.map((p, i) => ({ url: `${theSink.url}/ok/noisy/${i}`, projectId: p })),
      ...latencyProjects.map((p, i) => ({ url: `${theSink.url}/ok/latency/${i}`, projectId: p })),
      ...hangProjects.map((p, i) => ({
        url: `${theSink.url}/hang/noisy/${i}`,
        projectId: p,
        timeoutMs: P.hangTimeoutMs,
        // One attempt, Failed into the DLQ; never auto-disabled (it would turn its deliveries into Discarded).
        retryPolicy: { maxAttempts: 1, onExhausted: 'dlq' },
        failurePolicy: { autoDisableAfter: null, unsubscribeOn: [] },
      })),
    ];
    log(`creating ${hooks.length} hooks through POST /v1/webhooks`);
    await inParallel(hooks, 4, async ({ url: hookUrl, projectId, ...rest }) => {
      await createHook(url('subscription-registry'), tenant, {
        url: hookUrl,
        eventTypes: ['task.updated'],
        scope: { kind: 'project', projectId },
        ...rest,
      });
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

    // Ceiling.
    const concurrency = P.healthyHooks * P.inFlightPerHook;
    const sampleBody = JSON.stringify({
      type: 'task.updated',
      timestamp: new Date().toISOString(),
      data: outbox.change(tenant.tenantId, 'p', 'r').after,
    });
    log(`ceiling: ${P.ceilingRequests} bare undici POSTs at concurrency ${concurrency}`);
    const ceilingPerSec = await ceiling(theSink.url, P.ceilingRequests, concurrency, sampleBody);
    await phase('ceiling');

    // Warm-up (JIT, connection pools, lazily loaded code): delivered and ledgered, not measured.
    log(`warm-up: ${P.warmupChanges} changes`);
    await outbox.commit(
      Array.from({ length: P.warmupChanges }, (_, j) =>
        outbox.change(tenant.tenantId, warmupProjects[j % P.healthyHooks], `warmup-${j}`),
      ),
    );
    const warm = await waitUnique(theSink, 'ok/warmup', P.warmupChanges, 60_000);
    if (warm.unique < P.warmupChanges)
      throw new Error(`warm-up: ${warm.unique} of ${P.warmupChanges} delivered in time`);
    await phase('warm-up');

    // Steady.
    log(`steady: ${P.steadyChanges} changes over ${P.healthyHooks} hooks`);
    const steadyStart = Date.now();
    await outbox.commit(
      Array.from({ length: P.steadyChanges }, (_, j) =>
        outbox.change(tenant.tenantId, steadyProjects[j % P.healthyHooks], `steady-${j}`),
      ),
    );
    const steady = await waitUnique(theSink, 'ok/steady', P.steadyChanges, 90_000);
    if (steady.unique < P.steadyChanges)
      throw new Error(`steady: ${steady.unique} of ${P.steadyChanges} delivered in time`);
    const steadyRate = steady.unique / ((steady.lastAt - steadyStart) / 1000);
    await phase('steady');

    // Noisy neighbour: the same healthy load, plus hooks that hang until their timeout.
    const hangChanges = P.hangHooks * P.noisyHangChangesPerHook;
    log(
      `noisy: ${P.steadyChanges} healthy changes + ${hangChanges} to ${P.hangHooks} hanging hooks`,
    );
    const noisyChanges: ResourceChange[] = [];
    const every = Math.max(1, Math.floor(P.steadyChanges / Math.max(1, hangChanges)));
    let hung = 0;
    for (let j = 0; j < P.steadyChanges; j++) {
      noisyChanges.push(
        outbox.change(tenant.tenantId, noisyProjects[j % P.healthyHooks], `noisy-${j}`),
      );
      if (j % every === 0 && hung < hangChanges) {
        noisyChanges.push(
          outbox.change(tenant.tenantId, hangProjects[hung % P.hangHooks], `hang-${hung}`),
        );
        hung++;
      }
    }
    while (hung < hangChanges)
      noisyChanges.push(
        outbox.change(tenant.tenantId, hangProjects[hung % P.hangHooks], `hang-${hung++}`),
      );
    const noisyStart = Date.now();
    await outbox.commit(noisyChanges);
    const noisy = await waitUnique(theSink, 'ok/noisy', P.steadyChanges, 90_000);
    if (noisy.unique < P.steadyChanges)
      throw new Error(`noisy: ${noisy.unique} of ${P.steadyChanges} healthy deliveries in time`);
    const noisyRate = noisy.unique / ((noisy.lastAt - noisyStart) / 1000);
    await phase('noisy');

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
        const batch = Array.from({ length: due - latSent }, (_, k) =>
          outbox.change(
            tenant.tenantId,
            latencyProjects[(latSent + k) % P.healthyHooks],
            `lat-${latSent + k}`,
          ),
        );
        await outbox.commit(batch);
        latSent = due;
      } else {
        await sleep(5);
      }
    }
    const achievedRate = latencyChanges / ((Date.now() - latStart) / 1000);
    const latency = await waitUnique(theSink, 'ok/latency', latencyChanges, 60_000);
    if (latency.unique < latencyChanges)
      throw new Error(`latency: ${latency.unique} of ${latencyChanges} delivered in time`);
    const sorted = [...latency.latenciesMs].sort((a, b) => a - b);
    await phase('latency');

    // Fan-out: 10,000 subscriptions of another tenant on one project, as snapshots on the
    // compacted topic (what the registry publishes; creating them one by one through the API
    // would take longer than the whole budget), with a signing secret sealed under the key the
    // dispatcher is given.
    log(`fan-out: publishing ${P.fanout} subscription snapshots`);
    const fanTenant = `bench-fanout-${randomUUID()}`;
    const fanProject = randomUUID();
    const box = SecretBox.fromSpec(st.secretsKey);
    const secret = box.encrypt(`whsec_${randomBytes(24).toString('base64')}`);
    const now = new Date().toISOString();
    const snapshot = (i: number): SubscriptionSnapshot =>
      subscriptionSnapshotFixture({
        id: randomUUID(),
        tenantId: fanTenant,
        ownerUserId: tenant.userId,
        url: `${theSink.url}/fan/fanout/${i}`,
        eventTypes: ['task.updated'],
        scope: { kind: 'project', projectId: fanProject },
        retryPolicy: { scheduleMs: [1_000], maxAttempts: 3, maxAgeMs: 60_000, onExhausted: 'dlq' },
        signingSecrets: [{ secret, expiresAt: null }],
        updatedAt: now,
      });
    const kafka = new Kafka({
      clientId: 'bench-e2e',
      brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','),
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
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
    await outbox.commit([outbox.change(fanTenant, fanProject, 'fan-0')]);
    const fan = await waitUnique(theSink, 'fan/fanout', P.fanout, 60_000);
    if (fan.unique < P.fanout)
      throw new Error(`fan-out: ${fan.unique} of ${P.fanout} delivered in time`);
    const fanSeconds = (fan.lastAt - fanStart) / 1000;
    await phase('fan-out');

    // Hanging deliveries end by timeout; wait for them all to have been attempted.
    const hang = await waitUnique(theSink, 'hang/noisy', hangChanges, 30_000);
    await sleep(1_000);

    // Ledger.
    const all = await theSink.stats();
    const known = new Set([
      'ok/warmup',
      'ok/steady',
      'ok/noisy',
      'ok/latency',
      'hang/noisy',
      'fan/fanout',
      'ceiling/loop',
    ]);
    const expected =
      P.warmupChanges + P.steadyChanges + P.steadyChanges + hangChanges + latencyChanges + P.fanout;
    const delivered = ['ok/warmup', 'ok/steady', 'ok/noisy', 'ok/latency', 'fan/fanout'].reduce(
      (n, k) => n + (all[k]?.unique ?? 0),
      0,
    );
    const failed = hang.unique;
    const routerMatches = await metric(url('event-router'), 'herald_router_matches_total');
    const duplicates = Object.entries(all)
      .filter(([k]) => k !== 'ceiling/loop')
      .reduce((n, [, s]) => n + s.duplicates, 0);
    const unexpected = Object.entries(all)
      .filter(([k]) => !known.has(k))
      .reduce((n, [, s]) => n + s.arrivals, 0);
    const missing = expected - delivered - failed;
    const balanced =
      missing === 0 &&
      routerMatches === expected &&
      unexpected === 0 &&
      outbox.committed === expected - P.fanout + 1;
    result.ledger = {
      changesCommitted: outbox.committed,
      deliveriesExpected: expected,
      routerMatches,
      delivered,
      failed,
      missing,
      duplicates,
      unexpected,
      balanced,
    };
    sampler.sample();
    result.rssMb = sampler.peakRssMb;
    result.cpuSecondsByPhase = cpu;
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
        concurrency,
      };
      result.fanout = { subscriptions: P.fanout, seconds: fanSeconds };
      result.noisy = {
        healthyDeliveriesPerSec: noisyRate,
        healthyShareOfSteady: noisyRate / steadyRate,
        hangingDeliveries: hangChanges,
        hangingAttempted: hang.unique,
      };
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
  result.durationSeconds = (Date.now() - t0) / 1000;
  result.loadAverage = {
    start: round(loadAtStart, 2),
    end: round(loadavg()[0], 2),
    cores: cpus().length,
  };
  writeResults(result);
  log('cleaning up');
  await cleanup();
  return result.void ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench:e2e: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
