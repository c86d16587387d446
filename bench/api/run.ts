import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client, Pool as PgPool } from 'pg';
import { Pool } from 'undici';
import { createTestDatabase, deleteKafkaNamespace, spawnService, uniqueKafkaNamespace, type SpawnedService, type TestDatabase } from '@herald/platform/testing';
import { BENCH_RESULTS_DIR as RESULTS, ROOT, envNumber as num } from '@herald/bench/harness';
import { summariseCpuProfile, type ProfileSummary } from './cpu-profile-summary';

/*
 * `npm run bench:api`: the domain API's write path against the database's ceiling, on loopback.
 * The domain API runs as `npm start` runs it, on a fresh database and Kafka namespace (its relay
 * streams the outbox to Kafka as in production); a tenant and key come from the CLI. Then:
 *   1. one `POST /v1/tasks` with log_statement=all on the bench database: the statements the
 *      write path really issues, read back from the server log;
 *   2. N creates at concurrency 16 and 32 (creates/s, p50/p99, CPU per create of the API process
 *      and of the database's PostgreSQL backends);
 *   3. a bare `pg` loop replaying those same statements (fresh ids each time) at the same
 *      concurrencies on the same database: the ceiling (with the CPU of its client and of PostgreSQL
 *      per transaction). Ratio = API ÷ bare loop.
 * Bounded (BENCH_BUDGET_MS), stops by itself; results in bench/results/api.{json,md}. A run is
 * valid only when the 1-minute load average was below 1.5 when it started (it says so).
 */

/** What each change bought, measured by hand: appended to api.md so that a new run keeps it. */
const FINDINGS = path.join(__dirname, 'findings.md');
const P = {
  budgetMs: num('BENCH_BUDGET_MS', 480_000),
  requests: num('BENCH_REQUESTS', 3_000),
  warmup: num('BENCH_WARMUP', 600),
  concurrencies: (process.env['BENCH_CONCURRENCY'] ?? '16,32').split(',').map(Number),
  poolSize: process.env['BENCH_POOL_SIZE'],
  cpuProfile: process.env['BENCH_CPU_PROF'] === '1',
  /**
   * `perf record -e cpu-clock` of the API during the last phase (BENCH_PERF=1; Linux, `perf` on
   * the PATH): samples CPU time only, kernel included, where the V8 profiler samples wall time
   * (on a loaded host a thread preempted inside a system call shows as time in that call).
   */
  perf: process.env['BENCH_PERF'] === '1',
  /** Other settings for the domain API, `NAME=value NAME=value` as bench:e2e takes them (BENCH_SERVICE_ENV; e.g. HERALD_KAFKA_COMPRESSION=lz4). */
  apiEnv: Object.fromEntries(
    (process.env['BENCH_SERVICE_ENV'] ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ) as Record<string, string>,
  /** API phases only (quick iterations on CPU per create; no ratio). */
  skipBare: process.env['BENCH_SKIP_BARE'] === '1',
};
const VALID_LOAD = 1.5;
const t0 = Date.now();
const left = () => P.budgetMs - (Date.now() - t0);
const log = (msg: string) => process.stdout.write(`[bench:api +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
const run = promisify(execFile);

class OutOfTime extends Error {}
function checkBudget(): void {
  if (left() <= 0) throw new OutOfTime(`the ${P.budgetMs / 1000} s budget is spent`);
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
}

/**
 * CPU seconds of the PostgreSQL backends serving `database` (the pool's sessions, the relay's, its
 * walsender), by process id: the database's share of a create, wherever it runs. A backend that
 * ends between two readings is missed (pools keep theirs for 30 s idle: not during a phase).
 */
async function backendCpu(admin: Client, database: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      out.set(pid, cpuSeconds(pid));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, s] of after) total += s - (before.get(pid) ?? 0);
  return total;
}

/** `perf record` of one process's CPU time until stop(); stop() answers why there is no profile, if there is none. */
function perfRecord(pid: number, file: string): { stop: () => Promise<string | undefined> } {
  const child = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '1999', '-g', '-p', String(pid), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const ended = new Promise<string | undefined>((resolve) => {
    child.once('error', (e) => resolve(`perf did not start (${e.message})`));
    child.once('close', (code, signal) => resolve(code === 0 || signal === 'SIGINT' ? undefined : `perf exited ${signal ?? code}: ${stderr.trim().slice(0, 300)}`));
  });
  return {
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return ended;
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Phase {
  concurrency: number;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** The first error, when there were any. */
  firstError?: string;
  /** CPU of the API process per create (µs), when measured. */
  cpuUsPerRequest?: number;
  /** CPU of the database's PostgreSQL backends per create or transaction (µs). */
  pgCpuUsPerRequest?: number;
  /** CPU of the bench process itself per operation (µs): the HTTP client, or the bare loop's `pg` client. */
  clientCpuUsPerRequest?: number;
}

/** `n` operations, `concurrency` at a time; each resolves true on success. */
async function drive(n: number, concurrency: number, op: (i: number) => Promise<boolean>): Promise<Omit<Phase, 'concurrency' | 'requests'>> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const s = process.hrtime.bigint();
        const ok = await op(i).catch((e: unknown) => {
          firstError ??= e instanceof Error ? e.message : String(e);
          return false;
        });
        latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
        if (!ok) errors++;
        if (i % 500 === 0) checkBudget();
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return { perSecond: n / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors, ...(firstError ? { firstError } : {}) };
}

// ---------------------------------------------------------------------------------------------
// The statements of one create, read back from the server log.

interface Statement {
  sql: string;
  params: Array<string | null>;
  /** The backend that ran it (log_line_prefix %p). */
  pid: number;
}

/** The PostgreSQL server's log file: where a backend's stderr goes (a local server). */
async function serverLogFile(client: Client): Promise<string | null> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  try {
    const target = readlinkSync(`/proc/${rows[0].pid}/fd/2`);
    return existsSync(target) ? target : null;
  } catch {
    return null;
  }
}

const PARAM = /\$(\d+) = (NULL|'((?:[^']|'')*)')/g;

/** `statement:` / `execute <name>:` lines of one database, each with its `parameters:` detail. */
export function parseStatements(logText: string, database: string): Statement[] {
  const out: Statement[] = [];
  const marker = `@${database} `;
  const lines = logText.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.includes(marker)) continue;
    const m = /LOG:\s+(?:statement|execute [^:]*): ([\s\S]*)$/.exec(line);
    if (!m) continue;
    const pid = Number(/\[(\d+)\]/.exec(line)?.[1] ?? 0);
    let sql = m[1];
    // A statement spans lines until the next line with a timestamp prefix.
    while (i + 1 < lines.length && !/^\d{4}-\d\d-\d\d /.test(lines[i + 1])) sql += `\n${lines[++i]}`;
    const params: Array<string | null> = [];
    if (i + 1 < lines.length && lines[i + 1].includes(marker) && /DETAIL:\s+Parameters: /.test(lines[i + 1])) {
      let detail = lines[++i];
      while (i + 1 < lines.length && !/^\d{4}-\d\d-\d\d /.test(lines[i + 1])) detail += `\n${lines[++i]}`;
      for (const p of detail.matchAll(PARAM)) params[Number(p[1]) - 1] = p[2] === 'NULL' ? null : p[3].replace(/''/g, "'");
    }
    out.push({ sql: sql.trim(), params, pid });
  }
  return out;
}

/** Runs one create with log_statement=all on its database and reads its statements back. */
async function captureStatements(
  database: TestDatabase,
  startApi: () => Promise<SpawnedService>,
  create: (api: SpawnedService) => Promise<{ taskId: string }>,
): Promise<{ statements: Statement[]; ids: string[] } | null> {
  const admin = new Client({ connectionString: database.url });
  admin.on('error', () => undefined); // a session ended by the server: the query in flight fails on its own
  await admin.connect();
  try {
    const file = await serverLogFile(admin);
    if (!file) return null;
    await admin.query(`ALTER DATABASE "${database.name}" SET log_statement = 'all'`);
    const api = await startApi();
    try {
      await create(api); // the first create warms the caches: a second is the steady shape
      const from = statSync(file).size;
      const { taskId } = await create(api);
      await new Promise((r) => setTimeout(r, 300));
      const text = readFileSync(file).subarray(from).toString('utf8');
      // The request's sessions only: the outbox relay works on the same database meanwhile.
      const all = parseStatements(text, database.name);
      const requestPids = new Set(all.filter((s) => /"api_keys"|INSERT INTO "domain"\."tasks"/.test(s.sql)).map((s) => s.pid));
      const statements = all.filter(
        (s) => requestPids.has(s.pid) && !/^(SELECT 1;?$|SHOW |SET )/i.test(s.sql.trim()) && !/outbox_relay|^DELETE FROM domain\.outbox/i.test(s.sql),
      );
      // What each replay must make anew: the task's id and the event's id (the relay has already
      // deleted the outbox row: read it from the event, a parameter of whichever statement wrote it).
      const eventId = statements.flatMap((s) => s.params).map((p) => (p ? /"eventId":\s*"([0-9a-f-]{36})"/.exec(p)?.[1] : undefined)).find(Boolean);
      return { statements, ids: [taskId, ...(eventId ? [eventId] : [])] };
    } finally {
      await api.stop();
      await admin.query(`ALTER DATABASE "${database.name}" RESET log_statement`);
    }
  } finally {
    await admin.end();
  }
}

/** The same statements with fresh ids where the captured create had its own (task id, event id). */
function replayer(statements: Statement[], ids: string[]) {
  return (client: { query: (sql: string, params: unknown[]) => Promise<unknown> }) => {
    const fresh = new Map(ids.map((id) => [id, randomUUID()]));
    const swap = (v: string | null) => {
      if (v === null) return v;
      let out = v;
      for (const [old, neu] of fresh) out = out.split(old).join(neu);
      return out;
    };
    return statements.reduce<Promise<unknown>>(
      (p, s) =>
        p.then(() =>
          client.query(s.sql, s.params.map(swap)).catch((e: unknown) => {
            throw new Error(`${s.sql.slice(0, 60)}…: ${e instanceof Error ? e.message : String(e)} (params ${JSON.stringify(s.params).slice(0, 300)})`);
          }),
        ),
      Promise.resolve(),
    );
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const load = loadavg();
  const valid = load[0] < VALID_LOAD;
  log(`load average ${load.map((l) => l.toFixed(2)).join(' ')} (${valid ? 'valid' : `NOT valid: 1-minute load ≥ ${VALID_LOAD}`})`);
  const { ensureInfra, applyToEnv } = require(path.join(ROOT, 'tools', 'dev-infra', 'lib', 'infra.js')) as {
    ensureInfra: () => Promise<unknown>;
    applyToEnv: (i: unknown) => void;
  };
  applyToEnv(await ensureInfra());

  const namespace = uniqueKafkaNamespace('bench-api');
  const database = await createTestDatabase('bench_api');
  const profileFile = path.join(ROOT, '.herald', 'bench-api.cpuprofile');
  const perfFile = path.join(ROOT, '.herald', 'bench-api.perf.data');
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    HERALD_KAFKA_NAMESPACE: namespace,
    HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
    HERALD_OUTBOX_SLOT: `outbox_${namespace.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63),
    ...(P.poolSize ? { DATABASE_POOL_SIZE: P.poolSize } : {}),
  };
  Object.assign(env, P.apiEnv);
  if (Object.keys(P.apiEnv).length) log(`API environment: ${Object.entries(P.apiEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  // Node flags beyond the launcher's (BENCH_NODE_ARGS, as in bench:e2e): a flag given again there wins.
  const execArgv = (process.env['BENCH_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean);
  if (execArgv.length) log(`API node flags beyond the launcher's: ${execArgv.join(' ')}`);
  const startApi = (extra: Record<string, string> = {}) => spawnService('domain-api', { ...env, ...extra }, { nodeEnv: 'production', execArgv });
  const admin = new Client({ connectionString: database.url });
  admin.on('error', (e) => log(`admin connection: ${e.message}`));
  await admin.connect();
  const selfCpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let api: SpawnedService | undefined;
  const http = new Map<string, Pool>();
  try {
    await run(process.execPath, ['-r', '@swc-node/register', 'apps/domain-api/src/migrate.ts'], { cwd: ROOT, env: { ...process.env, ...env } });
    const cliOut = await run(
      process.execPath,
      ['-r', '@swc-node/register', 'apps/domain-api/src/cli.ts', 'tenant:create', '--slug', 'bench', '--domain', 'bench.example.test', '--admin-name', 'Bench Admin', '--admin-email', 'admin@bench.example.test'],
      { cwd: ROOT, env: { ...process.env, ...env } },
    );
    const { apiKey } = JSON.parse(cliOut.stdout.trim().split('\n').pop() ?? '{}') as { apiKey: string };
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const pool = (url: string, connections: number) => {
      const key = `${url}#${connections}`;
      if (!http.has(key)) http.set(key, new Pool(url, { connections, pipelining: 1 }));
      return http.get(key) as Pool;
    };
    const post = async (svc: SpawnedService, p: string, body: unknown, connections = 1) => {
      const res = await pool(svc.url, connections).request({ method: 'POST', path: p, headers, body: JSON.stringify(body) });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    let projectId = '';
    const createTask = async (svc: SpawnedService, i: number, connections = 1) => {
      const r = await post(svc, '/v1/tasks', { projectId, name: `Task ${i}`, description: 'Bench task: what a product team creates one at a time.' }, connections);
      if (r.status !== 201) throw new Error(`POST /v1/tasks: ${r.status} ${JSON.stringify(r.body)}`);
      return { taskId: r.body['id'] as string };
    };

    log('capturing the statements of one create (log_statement=all on the bench database)…');
    const captured = await captureStatements(
      database,
      async () => {
        const svc = await startApi();
        if (!projectId) projectId = (await post(svc, '/v1/projects', { name: 'Bench' })).body['id'] as string;
        return svc;
      },
      (svc) => createTask(svc, 0),
    );
    if (!captured || captured.statements.length === 0) throw new Error('could not read the statements back from the server log');
    log(`one create = ${captured.statements.length} statements: ${captured.statements.map((s) => s.sql.split(/\s+/).slice(0, 3).join(' ')).join(' | ')}`);

    const nodeOptions = [
      ...(P.cpuProfile ? [`--require ${path.join(__dirname, 'cpu-profile.js')}`] : []),
      ...(P.perf ? ['--perf-basic-prof-only-functions'] : []),
    ];
    api = await startApi({
      ...(nodeOptions.length ? { NODE_OPTIONS: nodeOptions.join(' ') } : {}),
      ...(P.cpuProfile ? { HERALD_CPU_PROFILE: profileFile } : {}),
    });
    const svc = api;
    const apiPhases: Phase[] = [];
    log(`warm-up: ${P.warmup} creates at concurrency 16…`);
    await drive(P.warmup, 16, async (i) => (await createTask(svc, i, 16), true));
    let profile: ProfileSummary | undefined;
    for (const c of P.concurrencies) {
      checkBudget();
      const last = c === P.concurrencies[P.concurrencies.length - 1];
      if (P.cpuProfile && last) process.kill(svc.pid, 'SIGWINCH'); // restart: profile this phase only
      const perf = P.perf && last ? perfRecord(svc.pid, perfFile) : undefined;
      const cpu0 = cpuSeconds(svc.pid);
      const pg0 = await backendCpu(admin, database.name);
      const self0 = selfCpu();
      const r = await drive(P.requests, c, async (i) => (await createTask(svc, 100_000 * c + i, c), true));
      const cpu = cpuSeconds(svc.pid) - cpu0;
      const client = selfCpu() - self0;
      if (perf) {
        const failed = await perf.stop();
        log(
          failed
            ? `no perf profile: ${failed}`
            : `perf profile of this phase: ${path.relative(ROOT, perfFile)} (perf report -i ${path.relative(ROOT, perfFile)} --no-children --sort dso,sym)`,
        );
      }
      const pgCpu = cpuSince(pg0, await backendCpu(admin, database.name));
      const us = (s: number) => (s * 1e6) / P.requests;
      apiPhases.push({ concurrency: c, requests: P.requests, ...r, cpuUsPerRequest: us(cpu), pgCpuUsPerRequest: us(pgCpu), clientCpuUsPerRequest: us(client) });
      log(
        `API c=${c}: ${r.perSecond.toFixed(0)} creates/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, CPU per create: API ${us(cpu).toFixed(0)} µs, ` +
          `PostgreSQL ${us(pgCpu).toFixed(0)} µs, bench client ${us(client).toFixed(0)} µs; ${r.errors} errors${r.firstError ? ` (first: ${r.firstError})` : ''}`,
      );
    }
    if (P.cpuProfile) {
      process.kill(svc.pid, 'SIGWINCH');
      await new Promise((r) => setTimeout(r, 2_000));
      if (existsSync(profileFile)) profile = summariseCpuProfile(JSON.parse(readFileSync(profileFile, 'utf8')));
    }
    await api.stop();
    api = undefined;

    const barePhases: Phase[] = [];
    const replay = replayer(captured.statements, captured.ids);
    for (const c of P.skipBare ? [] : P.concurrencies) {
      checkBudget();
      const pg = new PgPool({ connectionString: database.url, max: c });
      // An idle client's session ended by the server (57P01 when the bench database is dropped at
      // the end, or an administrator) is an 'error' event on the pool: unhandled, it killed the run.
      pg.on('error', (e) => log(`bare pg pool c=${c}: idle client error: ${e.message}`));
      const once = async () => {
        const client = await pg.connect();
        try {
          await replay(client);
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          client.release();
        }
        return true;
      };
      const warm = await drive(Math.min(P.warmup, 200), c, once);
      if (warm.firstError) log(`bare pg warm-up c=${c}: ${warm.errors} errors (first: ${warm.firstError})`);
      const pg0 = await backendCpu(admin, database.name);
      const self0 = selfCpu();
      const r = await drive(P.requests, c, once);
      const client = selfCpu() - self0;
      const pgCpu = cpuSince(pg0, await backendCpu(admin, database.name));
      await pg.end();
      const us = (s: number) => (s * 1e6) / P.requests;
      barePhases.push({ concurrency: c, requests: P.requests, ...r, pgCpuUsPerRequest: us(pgCpu), clientCpuUsPerRequest: us(client) });
      log(
        `bare pg c=${c}: ${r.perSecond.toFixed(0)} transactions/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, CPU per transaction: ` +
          `PostgreSQL ${us(pgCpu).toFixed(0)} µs, pg client ${us(client).toFixed(0)} µs; ${r.errors} errors${r.firstError ? ` (first: ${r.firstError})` : ''}`,
      );
    }

    const ratios = Object.fromEntries(
      apiPhases.map((a) => [`c${a.concurrency}`, a.perSecond / (barePhases.find((b) => b.concurrency === a.concurrency)?.perSecond ?? NaN)]),
    );
    const loadAfter = loadavg();
    const result = {
      at: new Date().toISOString(),
      valid,
      loadAverage: { start: load, end: loadAfter },
      cores: cpus().length,
      apiPoolSize: P.poolSize ? Number(P.poolSize) : 10,
      apiEnv: P.apiEnv,
      statements: captured.statements.map((s) => s.sql),
      api: apiPhases,
      barePg: barePhases,
      ratio: ratios,
      target: { ratioAtConcurrency32: 0.5, met: (ratios['c32'] ?? 0) >= 0.5 },
      cpuProfile: profile,
    };
    if (P.skipBare) {
      // A partial run (no ceiling, no ratio) never replaces the published results.
      const file = path.join(process.env['BENCH_RESULTS_DIR'] ?? path.join(ROOT, '.herald'), 'bench-api-partial.json');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      log(`API phases only (BENCH_SKIP_BARE=1): wrote ${path.relative(ROOT, file)}`);
      return 0;
    }
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(path.join(RESULTS, 'api.json'), `${JSON.stringify(result, null, 2)}\n`);
    const findings = existsSync(FINDINGS) ? readFileSync(FINDINGS, 'utf8') : '';
    writeFileSync(path.join(RESULTS, 'api.md'), findings ? `${markdown(result)}\n${findings}` : markdown(result));
    log(`ratio API ÷ bare pg: ${Object.entries(ratios).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')} — wrote ${path.join(RESULTS === path.join(ROOT, 'bench', 'results') ? 'bench/results' : RESULTS, 'api.{json,md}')}`);
    return 0;
  } finally {
    await admin.end().catch(() => undefined);
    await api?.stop().catch(() => undefined);
    await Promise.all([...http.values()].map((p) => p.close().catch(() => undefined)));
    await database.drop().catch(() => undefined);
    await deleteKafkaNamespace(namespace).catch(() => undefined);
  }
}

function markdown(r: {
  at: string;
  valid: boolean;
  loadAverage: { start: number[]; end: number[] };
  apiPoolSize: number;
  statements: string[];
  api: Phase[];
  barePg: Phase[];
  ratio: Record<string, number>;
  cpuProfile?: ProfileSummary;
}): string {
  const us = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(0));
  const rows = r.api.map((a) => {
    const b = r.barePg.find((x) => x.concurrency === a.concurrency);
    return (
      `| ${a.concurrency} | ${a.perSecond.toFixed(0)} | ${a.p50Ms.toFixed(1)} / ${a.p99Ms.toFixed(1)} | ${us(a.cpuUsPerRequest)} / ${us(a.pgCpuUsPerRequest)} | ` +
      `${b?.perSecond.toFixed(0) ?? '–'} | ${b ? `${b.p50Ms.toFixed(1)} / ${b.p99Ms.toFixed(1)}` : '–'} | ${us(b?.clientCpuUsPerRequest)} / ${us(b?.pgCpuUsPerRequest)} | ` +
      `**${(r.ratio[`c${a.concurrency}`] ?? NaN).toFixed(2)}** |`
    );
  });
  return [
    '# `npm run bench:api` — domain API creates against a bare `pg` loop',
    '',
    `Run ${r.at}; load average ${r.loadAverage.start.map((l) => l.toFixed(2)).join(' / ')} at the start, ${r.loadAverage.end.map((l) => l.toFixed(2)).join(' / ')} at the end: ` +
      (r.valid ? '**valid** (1-minute load below 1.5).' : '**NOT valid** (1-minute load ≥ 1.5: the machine was shared; figures are indicative only).'),
    '',
    `\`POST /v1/tasks\` (one task, no hooks; the outbox relay streams to Kafka as in production), ${r.api[0]?.requests ?? 0} creates per concurrency after a warm-up; ` +
      `API pool size ${r.apiPoolSize}. The bare loop replays, per transaction, the statements one create issued (read back with log_statement=all), with fresh ids, on a \`pg\` pool as large as the concurrency.`,
    '',
    '| concurrency | API creates/s | API p50 / p99 ms | CPU µs per create: API / PostgreSQL | bare pg tx/s | bare pg p50 / p99 ms | CPU µs per tx: `pg` client / PostgreSQL | ratio |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    'CPU per create or transaction, from `/proc` (user + system): the API process (its HTTP server, write path and outbox relay), ' +
      "the bench's own `pg` client for the bare loop, and the PostgreSQL backends of the bench database (the pool's sessions, " +
      'the relay\'s and its walsender, which also streams the bare loop\'s outbox rows).',
    '',
    'Target: ratio at concurrency 32 ≥ 0.5.',
    '',
    '## The statements of one create',
    '',
    ...r.statements.map((s, i) => `${i + 1}. \`${s.replace(/\s+/g, ' ').slice(0, 240)}${s.length > 240 ? '…' : ''}\``),
    '',
    ...(r.cpuProfile
      ? [
          `## CPU profile of the API (last phase, ${r.cpuProfile.totalMs.toFixed(0)} ms sampled)`,
          '',
          '| self % | function | where |',
          '| ---: | --- | --- |',
          ...r.cpuProfile.top.map((f) => `| ${f.selfPercent.toFixed(1)} | \`${f.functionName || '(anonymous)'}\` | ${f.where} |`),
          '',
          '| self % | by package |',
          '| ---: | --- |',
          ...r.cpuProfile.byPackage.map((p) => `| ${p.selfPercent.toFixed(1)} | ${p.name} |`),
          '',
        ]
      : []),
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:api: ${err instanceof OutOfTime ? `VOID: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
