import type { z } from 'zod';
import { Headers } from './headers';
import { schemaHeaderValue, type MessageContract } from './messages';

/** A Kafka message ready to produce. */
export interface EncodedMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface EncodeOptions {
  /**
   * Where the message's W3C trace context comes from: `traceparent` and `tracestate` are taken
   * from it (empty ones skipped), nothing else. A consumed message's headers, a span's injected
   * carrier or `{ traceparent: event.traceparent }` all fit.
   */
  trace?: Readonly<Record<string, string | undefined>>;
  /** Further headers (producer name, due time, …), set after the schema and trace headers. */
  headers?: Readonly<Record<string, string>>;
  /**
   * Send the value exactly as given (it is still validated): the outbox publishes a row's payload
   * as it was written. By default the value sent is the parsed one (unknown fields dropped).
   */
  verbatim?: boolean;
}

export type EncodeResult =
  | { ok: true; message: EncodedMessage }
  | { ok: false; error: z.ZodError; headers: Record<string, string> };

/**
 * The one way a Herald message is encoded: validated against its contract, keyed by the
 * contract's key function, with the schema header (`herald-schema: <type>/<version>`) and the
 * trace context. Every producer (`HeraldProducer.send`, the outbound batcher's callers, the
 * outbox relay, `ResourceChangePublisher`) goes through here.
 */
export function tryEncode<T>(contract: MessageContract<T>, value: unknown, opts: EncodeOptions = {}): EncodeResult {
  const headers = messageHeaders(contract, opts);
  const parsed = contract.schema.safeParse(value);
  if (!parsed.success) return { ok: false, error: parsed.error, headers };
  return {
    ok: true,
    message: { key: contract.key(parsed.data), value: JSON.stringify(opts.verbatim ? value : parsed.data), headers },
  };
}

/** `tryEncode` for values the caller built itself: an invalid one is a bug, thrown as the ZodError. */
export function encodeMessage<T>(contract: MessageContract<T>, value: T, opts: EncodeOptions = {}): EncodedMessage {
  const result = tryEncode(contract, value, opts);
  if (!result.ok) throw result.error;
  return result.message;
}

/**
 * A value the service built itself from input that was validated where it came in (a consumed
 * message, a request body): encoded like `encodeMessage` — keyed by the contract, schema and trace
 * headers — but not parsed against the schema again. Validation happens at trust boundaries
 * (what a consumer reads, what an API receives; every consumer still validates what it reads),
 * not on every hop inside a service: the router's deliveries and the dispatcher's outcomes and
 * retries were half of their zod time. The builders' specs check that what they build parses
 * to itself (`Schema.parse(v)` equals `v`), which is what makes skipping the parse safe.
 */
export function encodeOwn<T>(contract: MessageContract<T>, value: T, opts: Omit<EncodeOptions, 'verbatim'> = {}): EncodedMessage {
  return { key: contract.key(value), value: JSON.stringify(value), headers: messageHeaders(contract, opts) };
}

/** The headers every message of a contract carries: schema, trace context, then `opts.headers`. */
export function messageHeaders(
  contract: Pick<MessageContract<unknown>, 'type' | 'version'>,
  opts: Pick<EncodeOptions, 'trace' | 'headers'> = {},
): Record<string, string> {
  return { [Headers.Schema]: schemaHeaderValue(contract), ...traceHeaders(opts.trace), ...opts.headers };
}

/** The W3C trace headers (`traceparent`, `tracestate`) of a carrier, and nothing else. */
export function traceHeaders(carrier: Readonly<Record<string, string | undefined>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!carrier) return out;
  for (const name of [Headers.TraceParent, Headers.TraceState]) {
    const v = carrier[name];
    if (typeof v === 'string' && v) out[name] = v;
  }
  return out;
}

/** A validation error's issues, one line each: `path: message` (`root` names an issue about the whole value). */
export function issueLines(error: z.ZodError, root = '(root)'): string[] {
  return error.issues.map((i) => `${i.path.join('.') || root}: ${i.message}`);
}

/** A validation error as one line: its first `limit` issues, `; `-separated. */
export function describeIssues(error: z.ZodError, root = '(root)', limit = Infinity): string {
  return issueLines(error, root).slice(0, limit).join('; ');
}
