import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { waitFor, type WaitForOptions } from './wait-for';

/** One request the receiver got. */
export interface ReceivedRequest {
  /** 0 for the first request since start (or the last clear()). */
  index: number;
  method: string;
  /** Path and query, as sent: `/hooks/a?x=1`. */
  path: string;
  /** Header names are lower-case; repeated headers are arrays (node:http's rules). */
  headers: IncomingHttpHeaders;
  /** The raw body, byte for byte (signatures are computed over it). */
  body: Buffer;
  /** The body as UTF-8. */
  text: string;
  /** The body parsed as JSON (throws if it is not). */
  json<T = unknown>(): T;
  /** Date.now() when the whole body had arrived. */
  receivedAt: number;
  /** The response that was scripted for it. */
  response: ScriptedResponse;
}

/** How to answer one request. */
export interface ScriptedResponse {
  /** Default 200. */
  status?: number;
  /** A string or Buffer is sent as is; anything else as JSON. Default `{"status":"OK"}`. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (the request is recorded when it arrives). */
  delayMs?: number;
  /** Destroy the connection instead of answering (after `delayMs`). */
  hangUp?: boolean;
}

/** Decides the response to one request; `undefined` falls through to the default response. */
export type Responder = (request: ReceivedRequest) => ScriptedResponse | undefined | Promise<ScriptedResponse | undefined>;

export interface Receiver {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  port: number;
  /** Everything received so far, in arrival order. */
  requests: ReceivedRequest[];
  /** Script the next responses, in order: one is used up per request. */
  enqueue(...responses: ScriptedResponse[]): void;
  /** Answer requests (once the queue is empty) with this response or responder. */
  respondWith(responder: ScriptedResponse | Responder): void;
  /** Requests whose path starts with `prefix`. */
  requestsTo(prefix: string): ReceivedRequest[];
  /** Resolves once at least `count` requests (optionally only those to `pathPrefix`) arrived. */
  waitForRequests(count: number, options?: WaitForOptions & { pathPrefix?: string }): Promise<ReceivedRequest[]>;
  /** Forget the requests and the scripted responses (the index starts at 0 again). */
  clear(): void;
  /** Stops listening and closes every connection (pending delayed responses are dropped). */
  close(): Promise<void>;
}

export interface StartReceiverOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** What to answer when nothing is scripted (default 200 `{"status":"OK"}`). */
  defaultResponse?: ScriptedResponse;
}

const OK: ScriptedResponse = { status: 200, body: { status: 'OK' } };

function encode(body: unknown): { data: Buffer; type?: string } {
  if (body === undefined) return { data: Buffer.alloc(0) };
  if (Buffer.isBuffer(body)) return { data: body, type: 'application/octet-stream' };
  if (typeof body === 'string') return { data: Buffer.from(body, 'utf8'), type: 'text/plain; charset=utf-8' };
  return { data: Buffer.from(JSON.stringify(body), 'utf8'), type: 'application/json' };
}

/**
 * A local HTTP server standing in for a webhook receiver: records every request (method, path,
 * headers, raw body, time) and answers as the test scripted it.
 */
export async function startReceiver(options: StartReceiverOptions = {}): Promise<Receiver> {
  const host = options.host ?? '127.0.0.1';
  const defaultResponse = options.defaultResponse ?? OK;
  const requests: ReceivedRequest[] = [];
  const queue: ScriptedResponse[] = [];
  let responder: ScriptedResponse | Responder | undefined;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const answer = (res: ServerResponse, response: ScriptedResponse) => {
    if (closed || res.destroyed) return;
    if (response.hangUp) {
      res.socket?.destroy();
      return;
    }
    const { data, type } = encode(response.body === undefined && response.status === undefined ? OK.body : response.body);
    const headers: Record<string, string | number> = { 'content-length': data.length, ...(type ? { 'content-type': type } : {}) };
    for (const [k, v] of Object.entries(response.headers ?? {})) headers[k.toLowerCase()] = v;
    res.writeHead(response.status ?? 200, headers);
    res.end(data);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        const request: ReceivedRequest = {
          index: requests.length,
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body,
          text,
          json: <T>() => JSON.parse(text) as T,
          receivedAt: Date.now(),
          response: defaultResponse,
        };
        requests.push(request);
        let response = queue.shift();
        if (!response && responder) {
          try {
            response = typeof responder === 'function' ? await responder(request) : responder;
          } catch (err) {
            response = { status: 500, body: `responder threw: ${err instanceof Error ? err.message : String(err)}` };
          }
        }
        response = response ?? defaultResponse;
        request.response = response;
        const send = response;
        if (send.delayMs && send.delayMs > 0) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            answer(res, send);
          }, send.delayMs);
          timers.add(timer);
        } else {
          answer(res, send);
        }
      })();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    enqueue: (...responses) => {
      queue.push(...responses);
    },
    respondWith: (r) => {
      responder = r;
    },
    requestsTo: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
    waitForRequests: async (count, opts = {}) => {
      const { pathPrefix, ...waitOptions } = opts;
      const matching = () => (pathPrefix === undefined ? requests : requests.filter((r) => r.path.startsWith(pathPrefix)));
      try {
        await waitFor(() => matching().length >= count, { timeoutMs: 30_000, intervalMs: 50, ...waitOptions });
      } catch {
        const got = matching();
        throw new Error(
          `${waitOptions.message ? `${waitOptions.message}: ` : ''}expected ${count} request(s)${pathPrefix ? ` to ${pathPrefix}` : ''} at the receiver ` +
            `within ${waitOptions.timeoutMs ?? 30_000} ms, got ${got.length}${got.length ? `: ${got.map((r) => `${r.method} ${r.path}`).join(', ')}` : ''}`,
        );
      }
      return matching();
    },
    clear: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await done;
    },
  };
}
