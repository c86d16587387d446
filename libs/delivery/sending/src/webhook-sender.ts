import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Agent } from 'undici';
import { safeText, safeTruncate, type ErrorClass } from '@herald/contracts';
import { signatureHeaders } from '@herald/delivery/signing';
import { HostResolutionError, SsrfGuard, SsrfRefusedError } from '@herald/delivery/ssrf-guard';

export type SuccessContract = '2xx' | 'status-ok' | '200' | '200-or-204';

export interface WebhookRequest {
  url: string;
  method?: 'POST' | 'PUT' | 'PATCH' | 'GET';
  /** Custom headers (the subscription's, the format's, an Authorization value); hop-by-hop ones are dropped. */
  headers?: Record<string, string>;
  body?: string;
  /** Default `application/json` when there is a body and no content-type header. */
  contentType?: string;
  /** The whole attempt: connect, headers and the part of the body we read. */
  timeoutMs: number;
  /** `2xx` (default), `200` (exactly HTTP 200) or `status-ok`: HTTP 200 with a JSON body whose `status` is "OK". */
  successContract?: SuccessContract;
  basicAuth?: { user: string; password: string } | null;
  /** Standard Webhooks signing: `webhook-id` (stable across retries), timestamp (default now), active secrets. */
  signing?: { id: string; timestamp?: Date | number; secrets: readonly string[] } | null;
}

export interface AttemptResult {
  ok: boolean;
  httpStatus?: number;
  durationMs: number;
  errorClass?: ErrorClass;
  /** At most 1,000 characters; safe text (see `safeText` in contracts). */
  errorMessage?: string;
  /**
   * At most 4 KB (UTF-8) of the receiver's answer, as safe text: invalid UTF-8, NUL and lone
   * surrogates are U+FFFD, so it can be logged in PostgreSQL and carried by Kafka as it is.
   */
  responseExcerpt?: string;
  /** From a `Retry-After` header (seconds or HTTP date), when the receiver sent one. */
  retryAfterMs?: number;
}

export interface WebhookSenderOptions {
  /** Connections per origin (undici keeps one pool per origin). */
  connectionsPerOrigin?: number;
  /** Bytes of the answer read to judge it and take the excerpt; the rest is dropped. */
  maxResponseBytes?: number;
  userAgent?: string;
  keepAliveTimeoutMs?: number;
}

export const RESPONSE_EXCERPT_BYTES = 4096;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const VERIFY_TIMEOUT_MS = 5_000;
const MAX_ERROR_MESSAGE = 1000;
const tracer = trace.getTracer('@herald/delivery/sending');

/**
 * undici is loaded with a sender's first request, not when the sender is built: the registry
 * holds a sender for `test` and verification only, which most of its processes never do, and
 * undici is ~110 modules (~6 MB of its resident memory at idle; bench/e2e/findings.md, "Idle
 * memory, fourth look"). No undici error exists before it is loaded.
 */
const load = createRequire(__filename);
let undici: typeof import('undici') | undefined;
const undiciModule = () => (undici ??= load('undici') as typeof import('undici'));

/** `url.full` without credentials or query (either may hold a receiver's secret), and the server. */
function urlAttributes(raw: string): Record<string, string | number> {
  try {
    const u = new URL(raw);
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    return { 'url.full': `${u.origin}${u.pathname}`, 'server.address': u.hostname, 'server.port': port };
  } catch {
    return {};
  }
}

/** Headers a caller may not set: the transport owns them (and `host` would let a hook aim elsewhere). */
const DROPPED_HEADERS = new Set([
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-connection',
]);

/**
 * Sends one webhook attempt and says what happened; it never throws for a receiver's fault.
 * - undici `Agent`: one pool per origin, `connectionsPerOrigin` sockets at most, keep-alive;
 * - every host name is resolved by the SSRF guard at connect time and the socket goes only to
 *   an address it allowed (TLS keeps the original host name for SNI and the certificate); IP
 *   literals are judged before the request;
 * - redirects are not followed: a 3xx is a failure (`redirect`), so a receiver cannot bounce
 *   the request to a private address;
 * - one deadline covers connect, headers and the body read (`timeout`) — and any wait for a free
 *   socket of the origin's pool: a caller that must not time out unsent keeps to
 *   `connectionsPerOrigin` requests per origin (the dispatcher's `TenantShares` does).
 */
export class WebhookSender {
  /**
   * The sockets of one origin's pool: a request beyond them would wait inside undici for a free
   * one with its deadline running, so the dispatcher holds its attempts to this many per origin.
   */
  readonly connectionsPerOrigin: number;
  /** Made by the first request (`pool()`). */
  private agent?: Agent;
  private closed = false;
  private readonly agentOptions: ConstructorParameters<typeof Agent>[0];
  private readonly maxResponseBytes: number;
  private readonly userAgent: string;

  constructor(
    readonly guard: SsrfGuard,
    opts: WebhookSenderOptions = {},
  ) {
    this.maxResponseBytes = Math.max(opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, RESPONSE_EXCERPT_BYTES);
    this.userAgent = opts.userAgent ?? 'Herald-Webhooks/1.0';
    this.connectionsPerOrigin = Math.max(1, opts.connectionsPerOrigin ?? 128);
    this.agentOptions = {
      connections: this.connectionsPerOrigin,
      pipelining: 1,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 10_000,
      keepAliveMaxTimeout: 60_000,
      connect: { lookup: guard.connectLookup, timeout: 10_000 },
    };
  }

  private pool(): Agent {
    if (!this.agent) {
      if (this.closed) throw new Error('the webhook sender is closed');
      this.agent = new (undiciModule().Agent)(this.agentOptions);
    }
    return this.agent;
  }

  /**
   * One attempt as an OpenTelemetry CLIENT span, child of the active context (the dispatcher's
   * `deliver` span): undici is not covered by the http instrumentation. Nothing is added to the
   * receiver's request (no `traceparent`): the signed headers are what a receiver gets.
   */
  async send(req: WebhookRequest): Promise<AttemptResult> {
    const method = req.method ?? 'POST';
    const span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes: { 'http.request.method': method, ...urlAttributes(req.url) } });
    try {
      const result = safeAttempt(await this.attempt(req));
      if (result.httpStatus !== undefined) {
        // The stable semantic-convention name and the older one, which some backends still show.
        span.setAttributes({ 'http.response.status_code': result.httpStatus, 'http.status_code': result.httpStatus });
      }
      if (!result.ok) {
        span.setAttribute('error.type', result.errorClass ?? 'unknown');
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorMessage ?? result.errorClass });
      }
      return result;
    } finally {
      span.end();
    }
  }

  private async attempt(req: WebhookRequest): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    let url: URL;
    let headers: Record<string, string>;
    try {
      url = this.guard.checkUrlSync(req.url);
    } catch (e) {
      return { ok: false, durationMs: elapsed(), ...classifyError(e, false) };
    }
    try {
      headers = this.headersFor(req);
    } catch (e) {
      return { ok: false, durationMs: elapsed(), errorClass: 'invalid', errorMessage: `cannot build the request: ${(e as Error).message}`.slice(0, MAX_ERROR_MESSAGE) };
    }

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no complete answer within ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    try {
      const res = await this.pool().request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: req.method ?? 'POST',
        headers,
        body: req.body,
        signal: controller.signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const { text, truncated } = await readAtMost(res.body, this.maxResponseBytes);
      const result: AttemptResult = {
        ok: false,
        httpStatus: res.statusCode,
        durationMs: elapsed(),
        responseExcerpt: excerpt(text),
      };
      const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
      return { ...result, ...judge(res.statusCode, text, truncated, req.successContract ?? '2xx') };
    } catch (e) {
      return { ok: false, durationMs: elapsed(), ...classifyError(e, timedOut) };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Checks that a URL honours the `status-ok` contract (Worksection: HTTP 200 with JSON
   * `{"status":"OK"}` within 5 s): POSTs a small JSON body (or `opts.body`), optionally signed.
   */
  async verifyEndpoint(
    url: string,
    opts: Partial<Omit<WebhookRequest, 'url' | 'successContract'>> = {},
  ): Promise<AttemptResult> {
    return this.send({
      method: 'POST',
      body: JSON.stringify({ type: 'webhook.verify', timestamp: new Date().toISOString() }),
      ...opts,
      url,
      timeoutMs: opts.timeoutMs ?? VERIFY_TIMEOUT_MS,
      successContract: 'status-ok',
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const agent = this.agent;
    await agent?.close().catch(() => agent.destroy());
  }

  private headersFor(req: WebhookRequest): Record<string, string> {
    const out: Record<string, string> = { 'user-agent': this.userAgent };
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      const lower = name.toLowerCase();
      if (!DROPPED_HEADERS.has(lower)) out[lower] = value;
    }
    if (req.body !== undefined && !out['content-type']) out['content-type'] = req.contentType ?? 'application/json';
    if (req.basicAuth) {
      out['authorization'] = `Basic ${Buffer.from(`${req.basicAuth.user}:${req.basicAuth.password}`, 'utf8').toString('base64')}`;
    }
    if (req.signing) Object.assign(out, signatureHeaders(req.signing, req.body ?? ''));
    return out;
  }
}

/**
 * What a receiver said (its answer, and any error message, which may quote it) as safe text, at
 * most 1,000 characters of message: the one exit of every attempt, so nothing unsafe from a
 * receiver reaches an outcome, a log or the database.
 */
function safeAttempt(r: AttemptResult): AttemptResult {
  const out = { ...r };
  if (out.errorMessage !== undefined) out.errorMessage = safeTruncate(out.errorMessage, MAX_ERROR_MESSAGE);
  if (out.responseExcerpt !== undefined) out.responseExcerpt = safeText(out.responseExcerpt);
  return out;
}

function judge(status: number, body: string, truncated: boolean, contract: SuccessContract): Partial<AttemptResult> {
  if (status >= 300 && status < 400) return { ok: false, errorClass: 'redirect', errorMessage: `HTTP ${status}: redirects are not followed` };
  if (status < 200 || status >= 300) return { ok: false, errorClass: 'http_status', errorMessage: `HTTP ${status}` };
  if (contract === '2xx') return { ok: true };
  if (contract === '200') return status === 200 ? { ok: true } : { ok: false, errorClass: 'contract', errorMessage: `HTTP ${status}: the contract asks for 200` };
  if (contract === '200-or-204') {
    return status === 200 || status === 204 ? { ok: true } : { ok: false, errorClass: 'contract', errorMessage: `HTTP ${status}: the contract asks for 200 or 204` };
  }
  if (status !== 200) return { ok: false, errorClass: 'contract', errorMessage: `HTTP ${status}: the contract asks for 200 with {"status":"OK"}` };
  if (!truncated) {
    try {
      const json = JSON.parse(body) as unknown;
      if (typeof json === 'object' && json !== null && (json as { status?: unknown }).status === 'OK') return { ok: true };
    } catch {
      // not JSON: falls through to the contract failure
    }
  }
  return { ok: false, errorClass: 'contract', errorMessage: 'HTTP 200 without a JSON body {"status":"OK"}' };
}

function classifyError(e: unknown, timedOut: boolean): Pick<AttemptResult, 'errorClass' | 'errorMessage'> {
  const chain: unknown[] = [];
  for (let cur: unknown = e; cur && chain.length < 5; cur = (cur as { cause?: unknown }).cause) chain.push(cur);
  const codes = chain.map((c) => (c as { code?: string }).code);
  const message = chain.map((c) => (c as Error).message).find(Boolean) ?? String(e);
  const cut = (m: string) => m.slice(0, MAX_ERROR_MESSAGE);
  if (chain.some((c) => c instanceof SsrfRefusedError) || codes.includes('ERR_SSRF_REFUSED')) {
    return { errorClass: 'ssrf_refused', errorMessage: cut(message) };
  }
  const timeouts = undici?.errors;
  if (timedOut || (timeouts && chain.some((c) => c instanceof timeouts.HeadersTimeoutError || c instanceof timeouts.BodyTimeoutError))) {
    return { errorClass: 'timeout', errorMessage: cut(timedOut ? `timed out: ${message}` : message) };
  }
  if (codes.includes('UND_ERR_CONNECT_TIMEOUT')) return { errorClass: 'timeout', errorMessage: cut(message) };
  if (chain.some((c) => c instanceof HostResolutionError) || codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'ENODATA')) {
    return { errorClass: 'dns', errorMessage: cut(message) };
  }
  return { errorClass: 'connection', errorMessage: cut(`${codes.find(Boolean) ?? 'error'}: ${message}`) };
}

async function readAtMost(body: AsyncIterable<Buffer> & { destroy(): unknown }, max: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > max) {
      body.destroy();
      return { text: Buffer.concat(chunks).subarray(0, max).toString('utf8'), truncated: true };
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}

/** The first 4 KB (UTF-8) of an answer, cut on a character boundary. */
export function excerpt(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= RESPONSE_EXCERPT_BYTES) return text;
  let end = RESPONSE_EXCERPT_BYTES;
  // Step back over UTF-8 continuation bytes so no character is split.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
