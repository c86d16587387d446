import { z } from 'zod';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } from 'kafkajs';
import { classifyFailure, errorChain, PoisonMessageError, TransientFailureError, type FailureKind } from './failure-class';

/** What node-postgres throws for a server error: a SQLSTATE, a severity, a routine. */
function pgError(code: string, message = `pg says ${code}`): Error {
  return Object.assign(new Error(message), { name: 'error', code, severity: 'ERROR', routine: 'somewhere' });
}

/** TypeORM wraps the driver's error in a QueryFailedError with `driverError`. */
function queryFailed(driverError: Error): Error {
  return Object.assign(new Error(driverError.message), { name: 'QueryFailedError', driverError, code: (driverError as { code?: string }).code });
}

/** kafkajs' protocol error for a broker error code, as its producer throws it after its retrier. */
function kafkaRefusal(type: string, code: number, retriable: boolean): Error {
  const protocol = new (KafkaJSProtocolError as unknown as new (e: object) => Error)({ message: `${type} from the broker`, type, code, retriable });
  return retriable
    ? new KafkaJSNumberOfRetriesExceeded(protocol, { retryCount: 5, retryTime: 1000 })
    : new (KafkaJSNonRetriableError as unknown as new (e: Error, o: object) => Error)(protocol, { cause: protocol });
}

/** What each error is taken for: its kind, then the failure's label (what, error, label). */
const CASES: Record<FailureKind, [what: string, error: unknown, label: string][]> = {
  transient: [
    ['connection refused (pool)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    ['connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'ECONNRESET'],
    ['connection terminated (node-postgres)', new Error('Connection terminated unexpectedly'), 'connection lost'],
    ['pool timeout', new Error('timeout exceeded when trying to connect'), 'connection lost'],
    ['admin shutdown (57P01) inside a QueryFailedError', queryFailed(pgError('57P01', 'terminating connection due to administrator command')), 'pg 57P01'],
    ['cannot connect now (57P03)', pgError('57P03'), 'pg 57P03'],
    ['connection failure (08006)', pgError('08006'), 'pg 08006'],
    ['too many connections (53300)', pgError('53300'), 'pg 53300'],
    ['deadlock (40P01)', pgError('40P01'), 'pg 40P01'],
    ['kafka: broker unreachable', new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'), 'kafka KafkaJSConnectionError'],
    ['kafka: request timeout', new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'), 'kafka KafkaJSRequestTimeoutError'],
    ['kafka: retries exhausted on a retriable error', kafkaRefusal('NOT_ENOUGH_REPLICAS', 19, true), 'kafka NOT_ENOUGH_REPLICAS'],
    ['kafka: out of order sequence (the idempotent producer\'s state, fixed by a new producer)', kafkaRefusal('OUT_OF_ORDER_SEQUENCE_NUMBER', 45, false), 'kafka OUT_OF_ORDER_SEQUENCE_NUMBER'],
    ['explicit', new TransientFailureError('the ledger service is down'), 'transient'],
  ],
  message: [
    ['unsupported Unicode escape (22P05) inside a QueryFailedError', queryFailed(pgError('22P05', 'unsupported Unicode escape sequence')), 'pg 22P05'],
    ['invalid json (22P02)', pgError('22P02'), 'pg 22P02'],
    ['NUL in text (22021)', pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'), 'pg 22021'],
    ['unique violation (23505)', pgError('23505'), 'pg 23505'],
    ['zod', (() => {
      const r = z.object({ a: z.string() }).safeParse({ a: 1 });
      return r.success ? new Error('unreachable') : r.error;
    })(), 'schema'],
    ['TypeError from the message', new TypeError("Cannot read properties of undefined (reading 'id')"), 'TypeError'],
    ['RangeError', new RangeError('Invalid time value'), 'RangeError'],
    ['JSON SyntaxError', (() => {
      try {
        JSON.parse('{');
      } catch (e) {
        return e;
      }
      return new Error('unreachable');
    })(), 'SyntaxError'],
    ['kafka: MESSAGE_TOO_LARGE', kafkaRefusal('MESSAGE_TOO_LARGE', 10, false), 'kafka MESSAGE_TOO_LARGE'],
    ['kafka: RECORD_LIST_TOO_LARGE', kafkaRefusal('RECORD_LIST_TOO_LARGE', 18, false), 'kafka RECORD_LIST_TOO_LARGE'],
    ['kafka: INVALID_RECORD', kafkaRefusal('INVALID_RECORD', 87, false), 'kafka INVALID_RECORD'],
    ['explicit', new PoisonMessageError('no such tenant'), 'poison'],
  ],
  systemic: [
    ['undefined table (42P01): a missing migration, not a message', pgError('42P01'), 'pg 42P01'],
    ['undefined column (42703)', queryFailed(pgError('42703')), 'pg 42703'],
    ['insufficient privilege (42501)', pgError('42501'), 'pg 42501'],
  ],
  unknown: [
    ['a plain Error', new Error('something odd'), 'error'],
    ['a named error', Object.assign(new Error('nope'), { name: 'LedgerError' }), 'LedgerError'],
    ['an unclassified SQLSTATE (XX000)', pgError('XX000'), 'pg XX000'],
    ['a non-retriable Kafka error of another kind', kafkaRefusal('TOPIC_AUTHORIZATION_FAILED', 29, false), 'KafkaJSNonRetriableError'],
    ['a string', 'thrown string', 'error'],
  ],
};

describe('classifyFailure', () => {
  it.each(
    Object.entries(CASES).flatMap(([kind, cases]) => cases.map(([what, error, label]) => [what, kind, error, label] as const)),
  )('%s → %s', (_what, kind, error, label) => {
    expect(classifyFailure(error)).toEqual({ kind, label });
  });

  it('a SQLSTATE-looking code without a server severity is not taken for PostgreSQL', () => {
    expect(classifyFailure(Object.assign(new Error('x'), { code: '22P05' })).kind).toBe('unknown');
  });

  it('follows cause, driverError and originalError, without looping on a cycle', () => {
    const inner = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    const outer = new Error('wrapped', { cause: { originalError: inner } });
    expect(classifyFailure(outer)).toEqual({ kind: 'transient', label: 'ECONNRESET' });
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(errorChain(a)).toHaveLength(2);
    expect(classifyFailure(a).kind).toBe('unknown');
  });
});
