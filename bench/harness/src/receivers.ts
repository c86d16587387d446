import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Arrival, ReceiverCommand, ReceiverReply, ReceiverSpec } from './receiver-types';

export interface ReceiverDump {
  /** Epoch ms the receivers' clock (Arrival.t) starts at. */
  t0: number;
  arrivals: Record<string, Arrival[]>;
}

/**
 * The receivers' process (receiver-process.ts): one HTTP server per hook, each honouring its
 * dialect's contract; `refuse` closes one for a while (connections refused), `dump` hands over
 * every arrival for the ledger.
 */
export class Receivers {
  readonly events: { at: number; what: string }[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly ports: Record<string, number>,
    readonly t0: number,
  ) {
    child.on('message', (m: ReceiverReply) => {
      if (m.cmd === 'accepting') this.events.push({ at: Date.now(), what: `${m.name} accepts connections again` });
    });
  }

  static async start(specs: ReceiverSpec[]): Promise<Receivers> {
    const child = fork(path.join(__dirname, 'receiver-process.ts'), [], {
      execArgv: ['-r', '@swc-node/register'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const started = await new Promise<{ ports: Record<string, number>; t0: number }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the receivers' process exited (${code}) before it started`)));
      child.on('message', (m: ReceiverReply) => {
        if (m.cmd === 'started') resolve({ ports: m.ports, t0: m.t0 });
        if (m.cmd === 'error') reject(new Error(m.message));
      });
      child.send({ cmd: 'start', specs } satisfies ReceiverCommand);
    });
    child.removeAllListeners('exit');
    return new Receivers(child, started.ports, started.t0);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  url(name: string, urlPath = `/${name}`): string {
    const port = this.ports[name];
    if (!port) throw new Error(`no receiver ${name}`);
    return `http://127.0.0.1:${port}${urlPath}`;
  }

  /** Closes the hook's server for `ms`: its deliveries meet ECONNREFUSED until it listens again. */
  async refuse(name: string, ms: number): Promise<void> {
    await this.request({ cmd: 'refuse', name, ms }, 'refusing');
  }

  async counts(): Promise<Record<string, { arrivals: number; succeeded: number }>> {
    const r = await this.request({ cmd: 'counts' }, 'counts');
    return r.cmd === 'counts' ? r.counts : {};
  }

  async dump(dir: string): Promise<ReceiverDump> {
    const file = path.join(dir, `receivers-${process.pid}-${Date.now()}.json`);
    await this.request({ cmd: 'dump', file }, 'dumped');
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as ReceiverDump;
    } finally {
      rmSync(file, { force: true });
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    if (this.child.connected) this.child.send({ cmd: 'stop' } satisfies ReceiverCommand);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }

  /** For an emergency exit: no waiting. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  private request(cmd: ReceiverCommand, reply: ReceiverReply['cmd']): Promise<ReceiverReply> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: ReceiverReply) => {
        if (m.cmd !== reply && m.cmd !== 'error') return;
        this.child.off('message', onMessage);
        if (m.cmd === 'error') reject(new Error(m.message));
        else resolve(m);
      };
      this.child.on('message', onMessage);
      this.child.send(cmd);
    });
  }
}
