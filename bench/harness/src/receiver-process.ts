import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  Arrival,
  ReceiverCommand,
  ReceiverContract,
  ReceiverReply,
  ReceiverSpec,
} from './receiver-types';

/*
 * The webhook receivers of a chaos or soak run, in their own process (forked by `Receivers`,
 * driven over IPC): one HTTP server per hook, each on its own port, honouring its dialect's
 * receiver contract. Every request is recorded (webhook-id, time, whether it was answered as a
 * success, and for the bodies that carry them the event type, resource id and task name) and
 * dumped to a file on request, so the ledger is computed from what the receivers saw.
 */

interface Hook {
  spec: ReceiverSpec;
  server: Server;
  port: number;
  arrivals: Arrival[];
  /** webhook-ids answered as a success at least once. */
  succeeded: Set<string>;
  /** webhook-ids already failed once on purpose (`failFirstAttemptRatio`). */
  failedOnce: Set<string>;
  refusingUntil: number;
}

const hooks = new Map<string, Hook>();
const t0 = Date.now();

function send(reply: ReceiverReply): void {
  process.send?.(reply);
}

/** Deterministic: the same webhook-id always gets the same verdict. */
function injectFailure(id: string, ratio: number): boolean {
  if (ratio <= 0) return false;
  const h = createHash('sha1').update(id).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000 < ratio;
}

/** `type|resourceId|name` from a body whose format carries them (native, Worksection). */
function tagOf(contract: ReceiverContract, body: string): string | undefined {
  try {
    if (contract === 'native') {
      const b = JSON.parse(body) as { type?: string; resource?: { id?: string }; data?: { name?: string } };
      return `${b.type}|${b.resource?.id}|${b.data?.name ?? ''}`;
    }
    if (contract === 'worksection') {
      const b = JSON.parse(body) as { action?: string; object?: { id?: string }; new?: { name?: string } };
      return `${b.action}|${b.object?.id}|${b.new?.name ?? ''}`;
    }
    if (contract === 'proprofs') {
      const b = JSON.parse(body) as { resource_url?: string };
      return `new|${b.resource_url?.split('/').pop()}|`;
    }
  } catch {
    return 'unparseable||';
  }
  return undefined;
}

function answer(hook: Hook, req: IncomingMessage, res: ServerResponse, body: string): void {
  const id = req.headers['webhook-id'];
  const spec = hook.spec;
  const contract = spec.contract;
  // Calls that are not deliveries (Worksection's URL check at add_webhook): answer, do not record.
  if (typeof id !== 'string') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"OK"}');
    return;
  }
  let ok = true;
  if (spec.requireHeader && req.headers[spec.requireHeader.name.toLowerCase()] !== spec.requireHeader.value) ok = false;
  if (ok && !hook.failedOnce.has(id) && !hook.succeeded.has(id) && injectFailure(id, spec.failFirstAttemptRatio ?? 0)) {
    hook.failedOnce.add(id);
    ok = false;
  }
  hook.arrivals.push({ id, t: Date.now() - t0, ok, tag: spec.recordTags ? tagOf(contract, body) : undefined });
  if (!ok) {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('injected failure');
    return;
  }
  hook.succeeded.add(id);
  switch (contract) {
    case 'worksection':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"OK"}');
      return;
    case 'procore':
      res.writeHead(204);
      res.end();
      return;
    default:
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function makeServer(hook: () => Hook): Server {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(hook(), req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  return server;
}

async function start(specs: ReceiverSpec[]): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  for (const spec of specs) {
    const holder: { hook?: Hook } = {};
    const server = makeServer(() => holder.hook as Hook);
    const port = await listen(server, 0);
    holder.hook = { spec, server, port, arrivals: [], succeeded: new Set(), failedOnce: new Set(), refusingUntil: 0 };
    hooks.set(spec.name, holder.hook);
    ports[spec.name] = port;
  }
  return ports;
}

/** Closes the hook's listening socket and every open connection: new connections are refused (ECONNREFUSED). */
async function refuse(name: string, ms: number): Promise<void> {
  const hook = hooks.get(name);
  if (!hook) throw new Error(`no receiver ${name}`);
  const old = hook.server;
  hook.refusingUntil = Date.now() + ms;
  await new Promise<void>((resolve) => {
    old.close(() => resolve());
    old.closeAllConnections();
  });
  setTimeout(() => {
    const server = makeServer(() => hook);
    void (async () => {
      // The same port again (a moment of TIME_WAIT is not a problem for a listening socket).
      for (let attempt = 0; ; attempt++) {
        try {
          await listen(server, hook.port);
          hook.server = server;
          send({ cmd: 'accepting', name });
          return;
        } catch (e) {
          if (attempt > 50) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
  }, ms).unref();
}

function counts(): Record<string, { arrivals: number; succeeded: number }> {
  const out: Record<string, { arrivals: number; succeeded: number }> = {};
  for (const [name, h] of hooks) out[name] = { arrivals: h.arrivals.length, succeeded: h.succeeded.size };
  return out;
}

process.on('message', (msg: ReceiverCommand) => {
  void (async () => {
    try {
      switch (msg.cmd) {
        case 'start':
          send({ cmd: 'started', ports: await start(msg.specs), t0 });
          break;
        case 'refuse':
          await refuse(msg.name, msg.ms);
          send({ cmd: 'refusing', name: msg.name });
          break;
        case 'counts':
          send({ cmd: 'counts', counts: counts() });
          break;
        case 'dump': {
          const out: Record<string, Arrival[]> = {};
          for (const [name, h] of hooks) out[name] = h.arrivals;
          writeFileSync(msg.file, JSON.stringify({ t0, arrivals: out }));
          send({ cmd: 'dumped', file: msg.file });
          break;
        }
        case 'stop':
          for (const h of hooks.values()) {
            h.server.closeAllConnections();
            h.server.close();
          }
          send({ cmd: 'stopped' });
          setTimeout(() => process.exit(0), 50);
          break;
      }
    } catch (e) {
      send({ cmd: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
