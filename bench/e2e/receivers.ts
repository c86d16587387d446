import { execFile, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

/*
 * The benchmark's webhook receivers, each in its own process: the Node sink (bench/e2e/sink.ts,
 * node:http, talks over IPC) and the Go sink (bench/sink-go, standard-library net/http, built
 * here with the machine's `go`, talks over its own /_sink/* paths). Both answer at once and keep
 * the same statistics per `<answer>/<phase>`.
 */

export interface KindStats {
  arrivals: number;
  unique: number;
  duplicates: number;
  firstAt: number;
  lastAt: number;
  /** Commit → arrival latencies (ms), all of them or (`kind(k, from)`) those from the `from`th on. */
  latenciesMs: number[];
  /** How many latencies the kind holds. */
  latencyCount: number;
}
export type SinkStats = Record<string, KindStats>;

export interface Receiver {
  readonly name: 'node' | 'go';
  readonly url: string;
  readonly pid: number;
  stats(): Promise<SinkStats>;
  /**
   * One kind's statistics, with its latencies from the `from`th on (-1: none — a poll that only
   * counts; the sink then copies no latency, however many it holds).
   */
  kind(kind: string, from?: number): Promise<KindStats>;
  stop(): void;
}

const EMPTY: KindStats = {
  arrivals: 0,
  unique: 0,
  duplicates: 0,
  firstAt: 0,
  lastAt: 0,
  latenciesMs: [],
  latencyCount: 0,
};

abstract class BaseReceiver implements Receiver {
  abstract readonly name: 'node' | 'go';
  constructor(
    protected readonly child: ChildProcess,
    readonly url: string,
  ) {}

  get pid(): number {
    return this.child.pid ?? 0;
  }

  abstract stats(): Promise<SinkStats>;
  abstract kind(kind: string, from?: number): Promise<KindStats>;

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    setTimeout(() => this.child.kill('SIGKILL'), 2_000).unref();
  }
}

export class NodeSink extends BaseReceiver {
  readonly name = 'node' as const;

  static async start(): Promise<NodeSink> {
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
    return new NodeSink(child, `http://127.0.0.1:${port}`);
  }

  stats(): Promise<SinkStats> {
    return this.ask({ cmd: 'stats' });
  }

  async kind(kind: string, from = 0): Promise<KindStats> {
    return (await this.ask({ cmd: 'stats', kind, from }))[kind] ?? { ...EMPTY, latenciesMs: [] };
  }

  private ask(msg: { cmd: 'stats'; kind?: string; from?: number }): Promise<SinkStats> {
    return new Promise((resolve) => {
      const onMessage = (m: { cmd: string; stats?: SinkStats }) => {
        if (m.cmd !== 'stats') return;
        this.child.off('message', onMessage);
        resolve(m.stats ?? {});
      };
      this.child.on('message', onMessage);
      this.child.send(msg);
    });
  }

  override stop(): void {
    if (this.child.connected) this.child.send({ cmd: 'stop' });
    setTimeout(() => this.child.kill('SIGKILL'), 2_000).unref();
  }
}

export class GoSink extends BaseReceiver {
  readonly name = 'go' as const;

  /**
   * Builds bench/sink-go with the machine's `go` into `outDir` and starts it. Resolves null, with
   * the reason, when there is no `go` or the build fails: the caller falls back to the Node sink.
   */
  static async start(root: string, outDir: string): Promise<GoSink | { missing: string }> {
    const source = path.join(root, 'bench', 'sink-go');
    const binary = path.join(outDir, 'sink-go');
    mkdirSync(outDir, { recursive: true });
    try {
      await promisify(execFile)('go', ['build', '-o', binary, '.'], {
        cwd: source,
        env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      return {
        missing:
          err.code === 'ENOENT'
            ? 'no `go` on PATH'
            : `go build of bench/sink-go failed: ${(err.stderr ?? err.message).trim().split('\n')[0]}`,
      };
    }
    const child = spawn(binary, [], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`sink-go exited (${code}) before listening`)));
      const lines = createInterface({ input: child.stdout });
      lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    });
    return new GoSink(child, `http://127.0.0.1:${port}`);
  }

  async stats(): Promise<SinkStats> {
    return (await (await fetch(`${this.url}/_sink/stats`)).json()) as SinkStats;
  }

  async kind(kind: string, from = 0): Promise<KindStats> {
    const q = new URLSearchParams({ kind, from: String(from) });
    return (await (await fetch(`${this.url}/_sink/stats?${q}`)).json()) as KindStats;
  }
}
