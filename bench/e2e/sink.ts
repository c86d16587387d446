import { createServer } from 'node:http';

/**
 * The benchmark's webhook receiver, in its own process (forked by run.ts; talks over IPC).
 * The first path segment says how to answer: `/hang/…` never answers (a hanging request ends with
 * the dispatcher's timeout), `/slow/…?ms=N` answers 200 after N ms, `/fail/…` answers 500 at once,
 * anything else answers 200 `{"status":"OK"}` at once; the second
 * names the benchmark phase. It records, per `<answer>/<phase>`, every arrival's
 * `webhook-id` (unique and duplicate counts) and, for Herald's deliveries, commit → arrival
 * latency from the payload's `timestamp` (the change's occurredAt, set at commit).
 */
/** `<answer>/<phase>`: the first two path segments, e.g. `ok/steady`, `hang/noisy`, `fan/fanout`. */
type Kind = string;

interface KindStats {
  arrivals: number;
  ids: Set<string>;
  duplicates: number;
  firstAt: number;
  lastAt: number;
  latenciesMs: number[];
}

const fresh = (): KindStats => ({
  arrivals: 0,
  ids: new Set(),
  duplicates: 0,
  firstAt: 0,
  lastAt: 0,
  latenciesMs: [],
});
let stats = new Map<Kind, KindStats>();
const TIMESTAMP = /"timestamp":"([^"]+)"/;

function kindOf(url: string): Kind {
  const [, answer = '', phase = ''] = url.split('/');
  return `${answer}/${phase}`;
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    const kind = kindOf(req.url ?? '/');
    let s = stats.get(kind);
    if (!s) stats.set(kind, (s = fresh()));
    s.arrivals += 1;
    if (!s.firstAt) s.firstAt = now;
    s.lastAt = now;
    const id = req.headers['webhook-id'];
    if (typeof id === 'string') {
      const key = `${req.url}|${id}`;
      if (s.ids.has(key)) s.duplicates += 1;
      else s.ids.add(key);
      const ts = TIMESTAMP.exec(Buffer.concat(chunks).toString('utf8'));
      if (ts && !kind.startsWith('hang/')) s.latenciesMs.push(now - Date.parse(ts[1]));
    }
    if (kind.startsWith('hang/')) return; // never answered: the sender's timeout ends it
    if (kind.startsWith('fail/')) {
      res.writeHead(500, { 'content-type': 'text/plain', 'content-length': '4' });
      res.end('fail');
      return;
    }
    const ok = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '15' });
      res.end('{"status":"OK"}');
    };
    if (kind.startsWith('slow/'))
      setTimeout(ok, Number(new URL(req.url ?? '/', 'http://sink').searchParams.get('ms') ?? 0));
    else ok();
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 0;
server.requestTimeout = 0;

const view = (s: KindStats, from = 0) => ({
  arrivals: s.arrivals,
  unique: s.ids.size,
  duplicates: s.duplicates,
  firstAt: s.firstAt,
  lastAt: s.lastAt,
  latenciesMs:
    from === 0 ? s.latenciesMs : s.latenciesMs.slice(from < 0 ? s.latenciesMs.length : from),
  latencyCount: s.latenciesMs.length,
});

process.on('message', (msg: { cmd: string; kind?: string; from?: number }) => {
  if (msg.cmd === 'stats' && msg.kind !== undefined) {
    // One kind, its latencies from the `from`th on (-1: none): what a poll that only counts asks.
    const s = stats.get(msg.kind);
    process.send?.({ cmd: 'stats', stats: s ? { [msg.kind]: view(s, msg.from) } : {} });
  } else if (msg.cmd === 'stats') {
    const out: Record<string, unknown> = {};
    for (const [kind, s] of stats) out[kind] = view(s);
    process.send?.({ cmd: 'stats', stats: out });
  } else if (msg.cmd === 'reset') {
    stats = new Map();
    process.send?.({ cmd: 'reset' });
  } else if (msg.cmd === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({
    cmd: 'listening',
    port: typeof address === 'object' && address ? address.port : 0,
  });
});
process.on('disconnect', () => process.exit(0));
