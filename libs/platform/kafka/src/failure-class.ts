/**
 * Why handling (or producing) something failed, as far as the error says:
 * - `transient`: a dependency is down or busy (database or broker unreachable, connection lost,
 *   pool or request timeout, PostgreSQL classes 08/53/57/58/40, KafkaJS retriable errors): the same
 *   messages will work once it is back, so they are retried, with readiness down, for as long as
 *   it takes;
 * - `systemic`: the code or the schema is wrong (PostgreSQL class 42: undefined table or column,
 *   syntax, privileges): no message is at fault and none may be blamed; retried like `transient`
 *   until an operator fixes it;
 * - `message`: this data fails on its own (PostgreSQL data errors, class 22, and integrity
 *   errors, class 23; a zod validation error; a TypeError, RangeError or SyntaxError raised while
 *   reading the message; a record the broker refuses: MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE,
 *   INVALID_RECORD): the failing message is found and dead-lettered, the others go on;
 * - `unknown`: anything else: retried a bounded number of times, then, if a probe finds the
 *   dependencies healthy, treated as `message`.
 */
export type FailureKind = 'transient' | 'systemic' | 'message' | 'unknown';

export interface FailureClass {
  kind: FailureKind;
  /** A short label for logs, metrics and the dead letter's headers: `pg 22P05`, `ECONNREFUSED`, `kafka MESSAGE_TOO_LARGE`… */
  label: string;
}

/** Thrown by a handler that knows the message itself is at fault. */
export class PoisonMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}

/** Thrown by a handler that knows a dependency is down (the message is fine). */
export class TransientFailureError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientFailureError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'ENOTCONN',
]);

/** PostgreSQL SQLSTATE classes: a dependency problem, a code/schema problem, a data problem. */
const PG_TRANSIENT_CLASSES = new Set(['08', '53', '57', '58', '40']);
const PG_TRANSIENT_CODES = new Set(['55P03', '55006', '25P03']);
const PG_SYSTEMIC_CLASSES = new Set(['42', '3F', '28']);
const PG_MESSAGE_CLASSES = new Set(['22', '23']);

/** node-postgres, pg-pool and TypeORM say a connection is gone in words, not codes. */
const CONNECTION_WORDS =
  /connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|connection (?:ended|closed|refused|reset)|terminating connection|the database system is (?:starting up|shutting down|in recovery mode)|driver not connected|no connection|socket hang up|Connection is not established/i;

/** Broker answers that refuse one record (or batch) for what it is: the data, not the broker. */
const KAFKA_MESSAGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);
/**
 * The idempotent producer's sequence state is off (kafkajs rolls back every partition's sequence
 * when the broker refuses one partition of a request, though it wrote the others): no message's
 * fault; `HeraldProducer` starts a new producer (new id, fresh sequences) and the retry works.
 */
const KAFKA_PRODUCER_STATE_TYPES = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'DUPLICATE_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);
const KAFKA_TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSLockTimeout',
]);

/** The error and what it wraps (`cause`, TypeORM's `driverError`, `originalError`), at most 8 deep. */
export function errorChain(e: unknown): unknown[] {
  const chain: unknown[] = [];
  const seen = new Set<unknown>();
  const queue: unknown[] = [e];
  while (queue.length > 0 && chain.length < 8) {
    const cur = queue.shift();
    if (cur === null || cur === undefined || seen.has(cur)) continue;
    seen.add(cur);
    chain.push(cur);
    if (typeof cur !== 'object') continue;
    const o = cur as { cause?: unknown; driverError?: unknown; originalError?: unknown; errors?: unknown };
    queue.push(o.driverError, o.cause, o.originalError);
    if (Array.isArray(o.errors)) queue.push(...o.errors.slice(0, 3));
  }
  return chain;
}

const nameOf = (e: unknown): string => (e instanceof Error || (typeof e === 'object' && e !== null) ? String((e as { name?: unknown }).name ?? '') : '');
const codeOf = (e: unknown): string => (typeof e === 'object' && e !== null ? String((e as { code?: unknown }).code ?? '') : '');
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : typeof e === 'string' ? e : '');

/** A PostgreSQL error: a five-character SQLSTATE and the server's severity. */
function sqlState(e: unknown): string | null {
  const code = codeOf(e);
  if (!/^[0-9A-Z]{5}$/.test(code)) return null;
  const o = e as { severity?: unknown; routine?: unknown; file?: unknown };
  return o.severity !== undefined || o.routine !== undefined || o.file !== undefined ? code : null;
}

/** Classifies a failure by everything the error (and what it wraps) says; see `FailureKind`. */
export function classifyFailure(e: unknown): FailureClass {
  const chain = errorChain(e);
  // Explicit verdicts first.
  for (const c of chain) {
    if (c instanceof TransientFailureError) return { kind: 'transient', label: 'transient' };
    if (c instanceof PoisonMessageError) return { kind: 'message', label: 'poison' };
  }
  // PostgreSQL, by SQLSTATE class.
  for (const c of chain) {
    const state = sqlState(c);
    if (!state) continue;
    const cls = state.slice(0, 2);
    if (PG_TRANSIENT_CLASSES.has(cls) || PG_TRANSIENT_CODES.has(state)) return { kind: 'transient', label: `pg ${state}` };
    if (PG_SYSTEMIC_CLASSES.has(cls)) return { kind: 'systemic', label: `pg ${state}` };
    if (PG_MESSAGE_CLASSES.has(cls)) return { kind: 'message', label: `pg ${state}` };
    return { kind: 'unknown', label: `pg ${state}` };
  }
  // Kafka: a record the broker refuses is the message's fault; a retriable error is the broker's.
  for (const c of chain) {
    const type = String((c as { type?: unknown } | null)?.type ?? '');
    if (!nameOf(c).startsWith('KafkaJS')) continue;
    if (KAFKA_PRODUCER_STATE_TYPES.has(type)) return { kind: 'transient', label: `kafka ${type}` };
    if (KAFKA_MESSAGE_TYPES.has(type)) return { kind: 'message', label: `kafka ${type}` };
  }
  const kafka = chain.filter((c) => nameOf(c).startsWith('KafkaJS'));
  if (kafka.some((c) => KAFKA_TRANSIENT_NAMES.has(nameOf(c)) || (c as { retriable?: unknown }).retriable === true)) {
    // Named after the broker's error type when one says it, else after the innermost error.
    const typed = kafka.find((c) => (c as { type?: unknown }).type);
    return { kind: 'transient', label: `kafka ${typed ? String((typed as { type: unknown }).type) : nameOf(kafka[kafka.length - 1])}` };
  }
  // The network, and connection loss said in words.
  for (const c of chain) {
    const code = codeOf(c);
    if (NETWORK_CODES.has(code)) return { kind: 'transient', label: code };
    if (CONNECTION_WORDS.test(messageOf(c))) return { kind: 'transient', label: 'connection lost' };
  }
  // What reading a message throws.
  for (const c of chain) {
    const name = nameOf(c);
    if (name === 'ZodError' || name === '$ZodError') return { kind: 'message', label: 'schema' };
    if (name === 'TypeError' || name === 'RangeError' || name === 'SyntaxError') return { kind: 'message', label: name };
  }
  const first = chain[0];
  const label = nameOf(first) || 'error';
  return { kind: 'unknown', label: nameOf(first) === 'Error' ? 'error' : label };
}
