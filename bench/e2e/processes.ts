import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/* Process sampling for the benchmark: peak RSS and CPU seconds per process, and the broker's pid. */

export function procStatus(pid: number): { rssMb: number; cpuSeconds: number } | null {
  if (!pid) return null;
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

/**
 * CPU seconds of a process and its children (PostgreSQL: the postmaster and its backends): its own
 * time, what its exited children used (cutime, cstime) and what the live ones use.
 */
export function processTreeCpuSeconds(pid: number): number | null {
  const ticksOf = (p: number, withChildren: boolean): { ticks: number; ppid: number } | null => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const own = Number(f[11]) + Number(f[12]);
      return {
        ticks: withChildren ? own + Number(f[13]) + Number(f[14]) : own,
        ppid: Number(f[1]),
      };
    } catch {
      return null;
    }
  };
  const root = ticksOf(pid, true);
  if (!root) return null;
  let ticks = root.ticks;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = ticksOf(Number(entry), false);
    if (child && child.ppid === pid) ticks += child.ticks;
  }
  return ticks / 100;
}

export class Sampler {
  readonly peakRssMb: Record<string, number> = {};
  /** Peak RSS per process in each phase ended by `endPhase` (which phase holds the memory). */
  readonly peakRssMbByPhase: Record<string, Record<string, number>> = {};
  private phasePeak: Record<string, number> = {};
  private timer?: NodeJS.Timeout;
  constructor(
    private readonly pids: () => Record<string, number>,
    /** Process trees sampled for CPU only (PostgreSQL's postmaster and backends). */
    private readonly trees: Record<string, number> = {},
  ) {}
  start(): void {
    this.timer = setInterval(() => this.sample(), 250);
  }
  /** RSS now, per process (MB, one decimal). */
  rss(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids())) {
      const s = procStatus(pid);
      if (s) out[name] = Math.round(s.rssMb * 10) / 10;
    }
    return out;
  }
  sample(): void {
    for (const [name, mb] of Object.entries(this.rss())) {
      this.peakRssMb[name] = Math.max(this.peakRssMb[name] ?? 0, mb);
      this.phasePeak[name] = Math.max(this.phasePeak[name] ?? 0, mb);
    }
  }
  /** Closes a phase: its peak RSS per process (sampled once more now) is kept under `name`. */
  endPhase(name: string): void {
    this.sample();
    this.peakRssMbByPhase[name] = this.phasePeak;
    this.phasePeak = {};
  }
  cpu(): Record<string, number> {
    return {
      ...Object.fromEntries(
        Object.entries(this.pids()).map(([n, pid]) => [n, procStatus(pid)?.cpuSeconds ?? 0]),
      ),
      ...Object.fromEntries(
        Object.entries(this.trees).map(([n, pid]) => [n, processTreeCpuSeconds(pid) ?? 0]),
      ),
    };
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

export const cpuDelta = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(
    Object.keys(b).map((k) => [k, Math.round(((b[k] ?? 0) - (a[k] ?? 0)) * 100) / 100]),
  );

/**
 * The pid of the process listening on 127.0.0.1:`port` (or any address), found through
 * /proc/net/tcp{,6} and the processes' socket fds: the Kafka broker, to sample its CPU.
 * 0 when it is not a local process this user can see (a container, another host).
 */
export function listenerPid(port: number): number {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A = LISTEN
      if (parseInt(f[1].split(':')[1] ?? '', 16) === port) inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1])) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
  }
  return 0;
}
