import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@herald/platform/testing';
import { Fleet, ROOT, runArgs, type App, type InstanceSpec } from './fleet';
import { deliveriesDue, type LedgerHook } from './ledger';
import type { ChangeRecord } from './load';
import { OwnInfra } from './own-infra';
import { Receivers } from './receivers';
import { call, hookDefs, setUpScenario, type Scenario } from './scenario';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StackOptions {
  label: string;
  /** State of the run's own servers (`.herald/chaos`): data, logs, pids. */
  stateDir: string;
  /** PostgreSQL of its own on this port; else a fresh database on DATABASE_URL's server. */
  ownPostgresPort?: number;
  kafkaPort: number;
  kafkaControllerPort: number;
  kafkaHeap?: string;
  replicas: { router: number; dispatcher: number };
  projects: number;
  /** Share of the ordered hook's deliveries whose first attempt its receiver answers 503. */
  failFirstAttemptRatio: number;
  partitionsOverride?: number;
  /** Extra environment for every service (e.g. a tuning under test). */
  serviceEnv?: Record<string, string>;
  log: (msg: string) => void;
}

/** What a run on a stack concludes: whether it passed, why not, and what it left alive. */
export interface RunVerdict {
  passed: boolean;
  verdict: string[];
  /** Processes the run started that were still alive after it stopped them (must be none). */
  leftBehind: string[];
}

/**
 * The end of a run on a stack: stops everything the stack started and, when the run came to a
 * verdict, records what was left alive in it (a failure).
 */
export async function stopStack(stack: Stack | undefined, log: (msg: string) => void, verdict?: RunVerdict): Promise<void> {
  log('stopping everything it started');
  const left = (await stack?.stop()) ?? [];
  if (!verdict) return;
  verdict.leftBehind = left;
  if (left.length) {
    verdict.passed = false;
    verdict.verdict.push(`left behind: ${left.join(', ')}`);
  }
}

/**
 * What a chaos or soak run stands on: its own Kafka (and PostgreSQL), migrated databases, the
 * receivers, the services as supervised processes, a tenant with a hook of every dialect (and an
 * ordered one), and the hooks' subscription ids. `stop()` stops everything it started.
 */
export class Stack {
  infra?: OwnInfra;
  database?: TestDatabase;
  receivers?: Receivers;
  fleet?: Fleet;
  scenario!: Scenario;
  namespace = '';
  env: Record<string, string> = {};
  /** hook name → subscription id */
  subscriptionOf: Record<string, string> = {};
  readonly logDir: string;

  private constructor(readonly opts: StackOptions) {
    this.logDir = path.join(opts.stateDir, 'logs');
  }

  static async start(opts: StackOptions): Promise<Stack> {
    const stack = new Stack(opts);
    try {
      await stack.boot();
    } catch (e) {
      await stack.stop();
      throw e;
    }
    return stack;
  }

  private async boot(): Promise<void> {
    const { opts } = this;
    const log = opts.log;
    rmSync(this.logDir, { recursive: true, force: true });
    mkdirSync(this.logDir, { recursive: true });
    log(`starting its own Kafka${opts.ownPostgresPort ? ' and PostgreSQL' : ''} in ${path.relative(ROOT, opts.stateDir)}`);
    this.infra = await OwnInfra.start({
      stateDir: opts.stateDir,
      postgres: opts.ownPostgresPort ? { port: opts.ownPostgresPort } : undefined,
      kafka: { port: opts.kafkaPort, controllerPort: opts.kafkaControllerPort, heap: opts.kafkaHeap },
      log: (m) => log(`[infra] ${m}`),
    });
    let databaseUrl = this.infra.databaseUrl;
    if (!databaseUrl) {
      this.database = await createTestDatabase(opts.label);
      databaseUrl = this.database.url;
    }
    const namespace = `${opts.label}-${randomBytes(3).toString('hex')}`;
    this.namespace = namespace;
    this.env = {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: this.infra.kafkaBrokers,
      HERALD_KAFKA_NAMESPACE: namespace,
      HERALD_SSRF_ALLOW_CIDRS: '127.0.0.0/8',
      HERALD_SECRETS_KEY: randomBytes(32).toString('base64'),
      HERALD_OUTBOX_SLOT: `outbox_${namespace.replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63),
      LOG_LEVEL: 'warn',
      ...(opts.partitionsOverride ? { HERALD_KAFKA_PARTITIONS_OVERRIDE: String(opts.partitionsOverride) } : {}),
      ...opts.serviceEnv,
    };
    log('migrating');
    for (const app of ['domain-api', 'subscription-registry']) {
      await run(process.execPath, await runArgs(path.join('apps', app, 'src', 'migrate.ts')), { cwd: ROOT, env: { ...process.env, ...this.env } });
    }
    // The receivers first: the hooks point at them.
    const specs = hookDefs({ tenantId: '', userId: '', apiKey: '', slug: '', domain: '' }, '', '', opts.failFirstAttemptRatio).map((h) => h.receiver);
    const receivers = await Receivers.start(specs);
    this.receivers = receivers;

    const instances: InstanceSpec[] = [
      { name: 'domain-api#1', app: 'domain-api' },
      { name: 'subscription-registry#1', app: 'subscription-registry' },
      ...Array.from({ length: opts.replicas.router }, (_, i) => ({ name: `event-router#${i + 1}`, app: 'event-router' as App })),
      ...Array.from({ length: opts.replicas.dispatcher }, (_, i) => ({ name: `delivery-dispatcher#${i + 1}`, app: 'delivery-dispatcher' as App })),
    ];
    log(`starting ${instances.map((i) => i.name).join(', ')} (logs in ${path.relative(ROOT, this.logDir)})`);
    const fleet = new Fleet({ env: this.env, logDir: this.logDir, log });
    this.fleet = fleet;
    await fleet.start(instances);

    this.scenario = await setUpScenario({
      env: this.env,
      domainApi: fleet.urlOf('domain-api'),
      registry: fleet.urlOf('subscription-registry'),
      receiverUrl: (name) => receivers.url(name),
      projects: opts.projects,
      failFirstAttemptRatio: opts.failFirstAttemptRatio,
      slug: `${opts.label}-${randomBytes(3).toString('hex')}`,
    });
    const hooks = this.scenario.hooks;
    log(`tenant ${this.scenario.tenant.slug}, ${this.scenario.projects.length} projects, hooks: ${hooks.map((h) => h.name).join(', ')}`);
    for (const r of fleet.instancesOf('event-router')) {
      await waitUntil(async () => (await metric(fleet.url(r), 'herald_router_subscriptions')) >= hooks.length, 60_000, `${r} holds the ${hooks.length} hooks`);
    }
    await sleep(2_000); // the dispatchers read the same compacted topic
    this.subscriptionOf = await subscriptionIds(fleet.urlOf('subscription-registry'), this.scenario, (n) => receivers.url(n));
  }

  /** Stops everything it started; returns what was still alive afterwards (must be nothing). */
  async stop(): Promise<string[]> {
    await this.fleet?.stop().catch(() => undefined);
    await this.receivers?.stop().catch(() => undefined);
    await this.infra?.stop().catch(() => undefined);
    await this.database?.drop().catch(() => undefined);
    return [
      ...(this.fleet?.everyPid ?? []).filter(alive).map((pid) => `service pid ${pid}`),
      ...(this.receivers && alive(this.receivers.pid) ? [`receivers pid ${this.receivers.pid}`] : []),
      ...Object.entries((await this.infra?.running()) ?? {})
        .filter(([, up]) => up)
        .map(([what]) => what),
    ];
  }
}

function alive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string, onError?: (e: unknown) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      onError?.(e);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting until ${what}`);
    await sleep(1_000);
  }
}

/**
 * The drain after a feed: waits, at most `timeoutMs`, until each hook's receiver counted as many
 * successful deliveries as it is due (`deliveriesDue`). A timeout is logged, not thrown: the
 * ledger then tells what is missing.
 */
export async function awaitDueDeliveries(
  receivers: Receivers,
  hooks: readonly LedgerHook[],
  changes: readonly ChangeRecord[],
  timeoutMs: number,
  log: (msg: string) => void,
): Promise<void> {
  const due = deliveriesDue(changes, hooks);
  await waitUntil(
    async () => {
      const c = await receivers.counts();
      return hooks.every((h) => (c[h.name]?.succeeded ?? 0) >= due[h.name]);
    },
    timeoutMs,
    'every expected delivery arrived',
  ).catch((e: Error) => log(e.message));
}

export async function metric(baseUrl: string, name: string): Promise<number> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Hook name → subscription id, from the native list (every dialect's hook is a subscription of the tenant). */
async function subscriptionIds(registry: string, scenario: Scenario, urlOf: (name: string) => string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let cursor: string | null = null;
  do {
    const r = await call(`${registry}/v1/webhooks?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, 'GET', { authorization: `Bearer ${scenario.tenant.apiKey}` });
    const body = r.body as { data: { id: string; url: string }[]; nextCursor: string | null };
    for (const s of body.data ?? []) {
      const hook = scenario.hooks.find((h) => urlOf(h.name) === s.url);
      if (hook) out[hook.name] = s.id;
    }
    cursor = body.nextCursor;
  } while (cursor);
  return out;
}
