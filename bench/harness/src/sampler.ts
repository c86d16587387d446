import { readFileSync } from 'node:fs';

/** One look at one service: resident memory (/proc) and what its /metrics says. */
export interface ServiceSample {
  /** ms since the sampler started. */
  t: number;
  rssMb: number;
  /** p99 event-loop delay since the previous scrape (prom-client's monitorEventLoopDelay, reset at each scrape). */
  eventLoopP99Ms: number;
  /** Σ herald_consumer_lag over the service's consumers (what it last saw per partition). */
  consumerLag: number;
}

export function rssMbOf(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return Number.isFinite(kb) ? kb / 1024 : null;
  } catch {
    return null;
  }
}

/** Sum of a metric's samples in a Prometheus text exposition (all label sets). */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `))) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) {
      sum += v;
      found = true;
    }
  }
  return found ? sum : NaN;
}

/**
 * Samples every service every `intervalMs`: RSS from /proc/<pid>/status, and from its /metrics
 * the event-loop p99 (`nodejs_eventloop_lag_p99_seconds`; this sampler is the only scraper, so
 * each value covers one interval) and its consumer lag (`herald_consumer_lag`).
 */
export class ServiceSampler {
  readonly samples: Record<string, ServiceSample[]> = {};
  private timer?: NodeJS.Timeout;
  private readonly t0 = Date.now();
  private busy = false;

  constructor(
    private readonly targets: () => Record<string, { pid: number; url: string }>,
    private readonly intervalMs = 5_000,
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  elapsedMs(): number {
    return Date.now() - this.t0;
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const t = Date.now() - this.t0;
      await Promise.all(
        Object.entries(this.targets()).map(async ([name, { pid, url }]) => {
          const rss = rssMbOf(pid);
          if (rss === null) return;
          let text = '';
          try {
            const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(4_000) });
            text = await res.text();
          } catch {
            /* counted as NaN below */
          }
          (this.samples[name] ??= []).push({
            t,
            rssMb: Math.round(rss * 10) / 10,
            eventLoopP99Ms: Math.round(metricSum(text, 'nodejs_eventloop_lag_p99_seconds') * 1000 * 10) / 10,
            consumerLag: metricSum(text, 'herald_consumer_lag'),
          });
        }),
      );
    } finally {
      this.busy = false;
    }
  }
}

export function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)];
}

/** Least-squares slope of y over x (per unit of x). */
export function slope(points: { x: number; y: number }[]): number {
  const p = points.filter((q) => Number.isFinite(q.y));
  if (p.length < 2) return NaN;
  const mx = p.reduce((s, q) => s + q.x, 0) / p.length;
  const my = p.reduce((s, q) => s + q.y, 0) / p.length;
  const num = p.reduce((s, q) => s + (q.x - mx) * (q.y - my), 0);
  const den = p.reduce((s, q) => s + (q.x - mx) ** 2, 0);
  return den === 0 ? NaN : num / den;
}
