import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ROOT } from './fleet';

// tools/dev-infra's PostgreSQL and Kafka, as a second instance with its own state directory and
// ports (plain Node.js outside every Nx project: loaded by path).
interface Logger {
  (msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}
interface PostgresLib {
  ensurePostgres(o: { log?: Logger; stateDir?: string; port?: number }): Promise<{ url: string; pid: number }>;
  stopPostgres(o: { log?: Logger; stateDir?: string }): Promise<boolean>;
  status(o?: { stateDir?: string }): Promise<{ running: boolean; pid?: number }>;
}
interface KafkaLib {
  ensureKafka(o: { log?: Logger; stateDir?: string; port?: number; controllerPort?: number; heap?: string; jvmOpts?: string[]; properties?: Record<string, string> }): Promise<{ brokers: string[]; pid: number }>;
  stopKafka(o: { log?: Logger; stateDir?: string }): Promise<boolean>;
  status(o?: { stateDir?: string }): Promise<{ running: boolean; pid?: number }>;
}
const loadTool = createRequire(__filename);
const lib = (name: string) => loadTool(path.join(ROOT, 'tools', 'dev-infra', 'lib', `${name}.js`)) as unknown;
const postgres = lib('postgres') as PostgresLib;
const kafka = lib('kafka') as KafkaLib;

export interface OwnInfraOptions {
  /** e.g. `.herald/chaos`: data, logs and pid files of these servers only. */
  stateDir: string;
  /** Run a PostgreSQL of our own too (else the caller brings a database). */
  postgres?: { port: number };
  /** `jvmOpts` / `properties`: other JVM flags and server settings than the shared broker's (an A/B). */
  kafka: { port: number; controllerPort: number; heap?: string; jvmOpts?: string[]; properties?: Record<string, string> };
  log: (msg: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A Kafka broker (and optionally a PostgreSQL) of the run's own, started fresh (empty data
 * directories) on ports other than the shared ones, so that it can be killed and restarted
 * without touching anyone else's. `stop()` stops exactly these processes, by pid.
 */
export class OwnInfra {
  databaseUrl?: string;
  kafkaBrokers = '';
  private readonly pids = { kafka: 0, postgres: 0 };
  /** If the harness dies without stop(): the broker (a detached JVM) and the server must not outlive it. */
  private readonly exitHook = () => {
    if (this.pids.kafka && isAlive(this.pids.kafka)) process.kill(this.pids.kafka, 'SIGKILL');
    if (this.pids.postgres && isAlive(this.pids.postgres)) process.kill(this.pids.postgres, 'SIGQUIT');
  };

  private constructor(private readonly opts: OwnInfraOptions) {
    process.on('exit', this.exitHook);
  }

  static async start(opts: OwnInfraOptions): Promise<OwnInfra> {
    const infra = new OwnInfra(opts);
    const log = infra.logger();
    // Whatever a previous run left running in this state dir is ours: stop it, start clean.
    await kafka.stopKafka({ log, stateDir: opts.stateDir }).catch(() => false);
    if (opts.postgres) await postgres.stopPostgres({ log, stateDir: opts.stateDir }).catch(() => false);
    rmSync(path.join(opts.stateDir, 'kafka', 'data'), { recursive: true, force: true });
    if (opts.postgres) rmSync(path.join(opts.stateDir, 'postgres'), { recursive: true, force: true });
    try {
      if (opts.postgres) await infra.startPostgres();
      await infra.startKafka();
    } catch (e) {
      await infra.stop();
      throw e;
    }
    return infra;
  }

  /** The broker's pid (0 when it is not running). */
  async kafkaPid(): Promise<number> {
    return (await kafka.status({ stateDir: this.opts.stateDir })).pid ?? 0;
  }

  /**
   * `kill`: SIGKILL (a crash: log recovery on start); `term`: SIGTERM (a clean shutdown).
   * Down for at least `downMs`, then started again; resolves once its coordinators answer.
   */
  async restartKafka(how: 'kill' | 'term', downMs = 2_000): Promise<{ downMs: number }> {
    const pid = await this.kafkaPid();
    const started = Date.now();
    if (pid) {
      process.kill(pid, how === 'kill' ? 'SIGKILL' : 'SIGTERM');
      const deadline = Date.now() + 60_000;
      while (isAlive(pid) && Date.now() < deadline) await sleep(100);
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(100);
    }
    await sleep(Math.max(0, downMs - (Date.now() - started)));
    await this.startKafka();
    return { downMs: Date.now() - started };
  }

  /** A fast shutdown (SIGINT: sessions ended, a shutdown checkpoint), then started again. */
  async restartPostgres(downMs = 2_000): Promise<{ downMs: number }> {
    if (!this.opts.postgres) throw new Error('this run has no PostgreSQL of its own');
    const log = this.logger();
    const started = Date.now();
    await postgres.stopPostgres({ log, stateDir: this.opts.stateDir });
    await sleep(Math.max(0, downMs - (Date.now() - started)));
    await this.startPostgres();
    return { downMs: Date.now() - started };
  }

  /** Stops both (by pid), and waits until they are gone. */
  async stop(): Promise<void> {
    const log = this.logger();
    await kafka.stopKafka({ log, stateDir: this.opts.stateDir }).catch(() => false);
    if (this.opts.postgres) await postgres.stopPostgres({ log, stateDir: this.opts.stateDir }).catch(() => false);
    process.off('exit', this.exitHook);
  }

  /** Whether the broker or the server is still running (after stop(): both false). */
  async running(): Promise<{ kafka: boolean; postgres: boolean }> {
    return {
      kafka: (await kafka.status({ stateDir: this.opts.stateDir })).running,
      postgres: this.opts.postgres ? (await postgres.status({ stateDir: this.opts.stateDir })).running : false,
    };
  }

  private async startKafka(): Promise<void> {
    const k = this.opts.kafka;
    const r = await kafka.ensureKafka({ log: this.logger(), stateDir: this.opts.stateDir, port: k.port, controllerPort: k.controllerPort, heap: k.heap, jvmOpts: k.jvmOpts, properties: k.properties });
    this.kafkaBrokers = r.brokers.join(',');
    this.pids.kafka = r.pid;
  }

  private async startPostgres(): Promise<void> {
    const port = this.opts.postgres?.port;
    const r = await postgres.ensurePostgres({ log: this.logger(), stateDir: this.opts.stateDir, port });
    this.databaseUrl = r.url;
    this.pids.postgres = r.pid;
  }

  private logger(): Logger {
    const fn = ((msg: string) => this.opts.log(msg)) as Logger;
    fn.warn = (msg: string) => this.opts.log(`warning: ${msg}`);
    fn.error = (msg: string) => this.opts.log(`error: ${msg}`);
    return fn;
  }
}
