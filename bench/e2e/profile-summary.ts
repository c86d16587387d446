import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

/*
 * `node -r @swc-node/register bench/e2e/profile-summary.ts <dir> [top]`: the V8 CPU profiles a
 * `BENCH_CPU_PROF=1` run of bench:e2e wrote (one per service), summarised: self time by package
 * (a node_modules package, Node's internals, Herald's own code, GC, idle) and the top functions.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function packageOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return '(gc)';
  if (fn === '(idle)') return '(idle)';
  if (fn === '(program)') return '(program)';
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const own = /(apps|libs)\/([^/]+(?:\/[^/]+)?)\//.exec(url);
  return own ? `herald:${own[1]}/${own[2]}` : url;
}

function summarise(file: string, top: number): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
  }
  let total = 0;
  let idle = 0;
  const byPkg = new Map<string, number>();
  const byFn = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const pkg = packageOf(url, functionName);
    if (pkg === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*?((node_modules|apps|libs)\/)/, '$1')}:${lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1)}%`;
  /** The `top` largest of `selfTime` as a markdown table of shares of the CPU time. */
  const table = (what: string, selfTime: Map<string, number>, cell: (key: string) => string) => [
    `| ${what} | self |`,
    '| --- | ---: |',
    ...[...selfTime.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `| ${cell(k)} | ${pct(us)} |`),
    '',
  ];
  const lines = [
    `## ${path.basename(file, '.cpuprofile')}: ${(total / 1e6).toFixed(2)} s on CPU, ${(idle / 1e6).toFixed(1)} s idle`,
    '',
    ...table('package', byPkg, (k) => k),
    ...table('function', byFn, (k) => `\`${k.trim()}\``),
  ];
  return lines.join('\n');
}

const [dir, topArg] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: profile-summary.ts <dir of .cpuprofile files> [top]\n');
  process.exit(64);
}
for (const f of readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .sort())
  process.stdout.write(`${summarise(path.join(dir, f), Number(topArg ?? 15))}\n`);
