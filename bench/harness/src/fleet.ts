import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { freePort } from '@herald/platform/testing';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

// The services' entry points, environment and readiness probe are tools/dev-infra's (plain
// Node.js outside every Nx project, shared with npm start and the test harness): loaded by path.
type Services = typeof import('../../../tools/dev-infra/lib/services');
type Build = typeof import('../../../tools/dev-infra/lib/build');
const loadTool = createRequire(__filename);
const services = loadTool(path.join(ROOT, 'tools', 'dev-infra', 'lib', 'services.js')) as Services;
const build = loadTool(path.join(ROOT, 'tools', 'dev-infra', 'lib', 'build.js')) as Build;

let buildDir: Promise<string | undefined> | undefined;
/**
 * The node arguments that run `apps/<app>/src/<entry>.ts` as npm start does: its compiled file
 * (tools/dev-infra/lib/build.js, rebuilt when a source changed), or the TypeScript through
 * @swc-node/register with HERALD_SERVICES_FROM=source.
 */
export async function runArgs(entry: string): Promise<string[]> {
  buildDir ??= build.serviceBuildDir({ env: process.env });
  return services.runArgs(entry, await buildDir);
}

/** `build` (compiled, as npm start and the image run them) or `source`. */
export function servicesFrom(): 'build' | 'source' {
  return build.servicesFrom(process.env);
}

export const APPS = ['domain-api', 'subscription-registry', 'event-router', 'delivery-dispatcher'] as const;
export type App = (typeof APPS)[number];

export interface InstanceSpec {
  /** `event-router#2`: the app, and which replica. */
  name: string;
  app: App;
}

interface Instance extends InstanceSpec {
  port: number;
  env: Record<string, string>;
  child?: ChildProcess;
  exited?: Promise<void>;
  starts: number;
  /** We are killing it: its exit is expected. */
  killing: boolean;
  /** Resolves when the current process answered /health/ready (or failed to). */
  ready?: Promise<void>;
  isReady: boolean;
}

export interface FleetOptions {
  /** Environment of every instance (DATABASE_URL, KAFKA_BROKERS, HERALD_KAFKA_NAMESPACE, …). */
  env: Record<string, string>;
  /** Where each instance's output goes: `<logDir>/<name>.log` (appended across restarts). */
  logDir: string;
  readyTimeoutMs?: number;
  log?: (msg: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The services as supervised processes, e.g. the domain API, the registry, two routers and two
 * dispatchers: started, SIGKILLed and restarted on demand, each on a fixed port across restarts
 * (so its /metrics stays where it was), its output appended to a log file. `stop()` leaves no
 * process behind (SIGTERM, then SIGKILL), and so does the harness process exiting.
 */
export class Fleet {
  private readonly instances = new Map<string, Instance>();
  /** Processes that exited without being killed (each is restarted): a finding, not a fault we made. */
  readonly unexpectedExits: { at: number; name: string; code: number | null; signal: string | null }[] = [];
  private stopping = false;
  /** Every pid this fleet ever started (to check that none is left). */
  readonly everyPid: number[] = [];
  private readonly exitHook = () => {
    for (const i of this.instances.values()) i.child?.kill('SIGKILL');
  };

  constructor(private readonly opts: FleetOptions) {
    process.on('exit', this.exitHook);
  }

  get names(): string[] {
    return [...this.instances.keys()];
  }

  /** Starts every instance (in parallel) and waits until each answers /health/ready. */
  async start(specs: readonly InstanceSpec[], extraByApp: Partial<Record<App, Record<string, string>>> = {}): Promise<void> {
    for (const spec of specs) {
      const port = await freePort();
      const env = services.buildServiceEnv({
        app: spec.app,
        port,
        base: process.env,
        extra: { ...this.opts.env, ...extraByApp[spec.app], PORT: String(port) },
        nodeEnv: 'production',
      });
      this.instances.set(spec.name, { ...spec, port, env, starts: 0, isReady: false, killing: false });
    }
    await Promise.all([...this.instances.values()].map((i) => this.spawn(i)));
    await Promise.all([...this.instances.values()].map((i) => i.ready));
  }

  url(name: string): string {
    return `http://127.0.0.1:${this.get(name).port}`;
  }

  /** The first instance of an app (`event-router#1`). */
  urlOf(app: App): string {
    const i = [...this.instances.values()].find((x) => x.app === app);
    if (!i) throw new Error(`no ${app} instance`);
    return `http://127.0.0.1:${i.port}`;
  }

  instancesOf(app: App): string[] {
    return [...this.instances.values()].filter((i) => i.app === app).map((i) => i.name);
  }

  isReady(name: string): boolean {
    return this.get(name).isReady;
  }

  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const i of this.instances.values()) if (i.child?.pid && i.child.exitCode === null && i.child.signalCode === null) out[i.name] = i.child.pid;
    return out;
  }

  starts(name: string): number {
    return this.get(name).starts;
  }

  /**
   * SIGKILL, as a crash: nothing is flushed, committed or closed. Restarted after `downMs`;
   * resolves once the new process answers /health/ready (or the harness stops).
   */
  async kill(name: string, downMs = 500): Promise<{ pid: number; readyAfterMs: number }> {
    const i = this.get(name);
    const pid = i.child?.pid ?? 0;
    i.isReady = false;
    i.killing = true;
    i.child?.kill('SIGKILL');
    await i.exited;
    i.killing = false;
    const killedAt = Date.now();
    await sleep(downMs);
    if (this.stopping) return { pid, readyAfterMs: 0 };
    await this.spawn(i);
    await i.ready;
    return { pid, readyAfterMs: Date.now() - killedAt };
  }

  /** Waits until every instance is ready (e.g. after an infrastructure restart). */
  async allReady(timeoutMs = this.opts.readyTimeoutMs ?? 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const i of this.instances.values()) {
      for (;;) {
        const r = await probe(`http://127.0.0.1:${i.port}/health/ready`);
        if (r === 200) break;
        if (Date.now() > deadline) throw new Error(`${i.name} is not ready after ${timeoutMs} ms`);
        await sleep(500);
      }
    }
  }

  /** SIGTERM to all (they drain and commit), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.instances.values()].map(async (i) => {
        if (!i.child || i.child.exitCode !== null || i.child.signalCode !== null) return;
        i.child.kill('SIGTERM');
        const timer = setTimeout(() => i.child?.kill('SIGKILL'), graceMs);
        await i.exited;
        clearTimeout(timer);
      }),
    );
    process.off('exit', this.exitHook);
  }

  private get(name: string): Instance {
    const i = this.instances.get(name);
    if (!i) throw new Error(`no instance ${name}`);
    return i;
  }

  private async spawn(i: Instance): Promise<void> {
    i.starts += 1;
    i.isReady = false;
    const args = await runArgs(services.entryOf(i.app));
    const fd = openSync(path.join(this.opts.logDir, `${i.name.replace('#', '-')}.log`), 'a');
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: i.env,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    if (child.pid) this.everyPid.push(child.pid);
    i.child = child;
    i.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        if (this.stopping || i.killing || i.child !== child) return;
        this.unexpectedExits.push({ at: Date.now(), name: i.name, code, signal });
        this.opts.log?.(`${i.name} exited by itself (${signal ?? `code ${code}`}): restarting it`);
        setTimeout(() => void this.spawn(i), 1_000);
      });
      child.once('error', () => resolve());
    });
    const alive = () => child.exitCode === null && child.signalCode === null && !this.stopping;
    i.ready = services
      .waitForReady(i.name, `http://127.0.0.1:${i.port}`, { timeoutMs: this.opts.readyTimeoutMs ?? 180_000, isAlive: alive, intervalMs: 250 })
      .then(
        () => {
          if (i.child === child) i.isReady = true;
        },
        (e: Error) => {
          if (this.stopping || i.child !== child) return;
          throw new Error(`${i.name} (start ${i.starts}) did not become ready: ${e.message}; see ${this.opts.logDir}`);
        },
      );
    i.ready.catch(() => undefined);
  }
}

async function probe(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.text();
    return res.status;
  } catch {
    return 0;
  }
}
