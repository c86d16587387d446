import pino, { type DestinationStream, type Logger } from 'pino';
import { redactUrl } from './redact-url';
import { traceFields } from './tracing';

/**
 * LOG_LEVEL when set; else by NODE_ENV: `warn` under test (the harness keeps every service's
 * output), `info` otherwise (development, production).
 */
export function defaultLogLevel(env: NodeJS.ProcessEnv = process.env): string {
  if (env['LOG_LEVEL']) return env['LOG_LEVEL'];
  return env['NODE_ENV'] === 'test' ? 'warn' : 'info';
}

interface LoggedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  originalUrl?: string;
}
interface LoggedResponse {
  statusCode?: number;
  headersSent?: boolean;
}

/**
 * What a request log line says of the request and its response: its id, method, path (with
 * credentials in the query redacted) and status. Not the whole objects (headers, remote address,
 * …): ~700 bytes a line, most of a request's logging cost, and secrets to redact.
 */
export const requestLogSerializers = {
  req: (req: LoggedRequest) => ({ id: req.id, method: req.method, url: redactUrl(req.originalUrl ?? req.url ?? '') }),
  // No status before the headers went out (a request the client gave up on): what it would be is not what it got.
  res: (res: LoggedResponse) => ({ statusCode: res.headersSent === false ? null : res.statusCode }),
};

/** A request that takes longer than this is logged at `warn` whatever its answer (ObservabilityOptions.slowRequestMs). */
export const SLOW_REQUEST_MS = 1_000;

/**
 * The level of a request's log line: `error` for a 5xx or a response that failed, `warn` for one
 * the client gave up on or slower than `slowMs`, `info` for a refusal (4xx), `debug` for the rest.
 * At the default level (`info`) an operator sees what failed, what was refused and what was slow —
 * not a line per request that went well (one per create was ~2 % of the domain API's CPU per
 * create, plus its share of the log volume); LOG_LEVEL=debug shows every request.
 */
export function requestLogLevel(
  res: { statusCode: number; writableFinished?: boolean },
  elapsedMs: number,
  failed: boolean,
  slowMs = SLOW_REQUEST_MS,
): 'error' | 'warn' | 'info' | 'debug' {
  if (failed || res.statusCode >= 500) return 'error';
  if (res.writableFinished === false || elapsedMs >= slowMs) return 'warn';
  return res.statusCode >= 400 ? 'info' : 'debug';
}

let destination: DestinationStream | undefined;

/**
 * stdout, written asynchronously: lines are buffered (up to 4 KB, at most 200 ms) and written
 * in one system call, never blocking a request; pino flushes what is left when the process exits.
 * One per process.
 */
export function logDestination(): DestinationStream {
  if (destination) return destination;
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => {
    try {
      stream.flush();
    } catch {
      // nothing buffered, or a write in progress: the next tick flushes
    }
  }, 200).unref();
  return (destination = stream);
}

/** JSON logs with the service name on every line, and `trace_id` / `span_id` inside a trace. */
export function createLogger(service: string, level = defaultLogLevel()): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
  });
}
