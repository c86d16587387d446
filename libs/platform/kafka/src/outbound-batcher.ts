import { Logger } from '@nestjs/common';
import type { CompressionTypes } from 'kafkajs';
import type { TopicSpec } from '@herald/contracts';
import type { DeadLetterWriter } from './dead-letter';
import type { FailureClass } from './failure-class';
import { DEFAULT_ISOLATION_POLICY, IsolationState, TransientFailureWhileIsolating, isolateFailures, type GivenUp, type IsolationPolicy } from './failure-isolation';
import type { HeraldProducer, RawMessage } from './producer';

export interface OutboundMessage {
  topic: TopicSpec;
  message: RawMessage;
}

export interface OutboundBatcherOptions {
  /**
   * How long the first message of a batch waits for company before the batch leaves. 0: until
   * the current turn of the event loop ends (what every partition of one fetch adds goes together).
   */
  lingerMs: number;
  /** Messages per produce request at most (default: no limit). */
  maxBatch?: number;
  /**
   * Bytes per produce request at most, every topic together (keys, values, headers and a
   * record's overhead), so that no topic's or partition's record batch can exceed the broker's
   * `message.max.bytes`. A single larger message leaves alone.
   */
  maxBytes?: number;
  /** Overrides the producer's compression (HERALD_KAFKA_COMPRESSION) for these requests. */
  compression?: CompressionTypes;
  /**
   * Topics listed first in every request, in this order (the router: outcomes, then
   * deliveries); other topics follow in the order their first message arrived.
   */
  topicOrder?: readonly TopicSpec[];
  /**
   * A produce request the broker did not acknowledge because it is away (connection lost,
   * request timeout, a KafkaJS retriable error, or an unknown error while the cluster does not
   * answer):
   * - `retry`: sent again (same batch, same order, backing off up to 10 s) until it is
   *   acknowledged or the batcher is closed; later batches wait behind it (the dispatcher, whose
   *   deliveries must not be committed before their results are written);
   * - `reject`: its callers' promises reject at once and later batches go on (the router, whose
   *   consumer then retries the whole batch of changes with its readiness down).
   * A request refused for one of its messages (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE,
   * INVALID_RECORD; an unknown error after 3 tries while the cluster answers) is never retried
   * as it is: it is split in two, recursively, until the message the broker refuses alone is
   * found; that message goes to `deadLetters` (or, without it, its caller's promise rejects)
   * and the others are sent (`isolateFailures`). No request is retried for ever for a message.
   */
  onFailure: 'retry' | 'reject';
  /** Where a message the broker refuses on its own goes: its topic's dead-letter topic. */
  deadLetters?: {
    writer: Pick<DeadLetterWriter, 'deadLetter'>;
    /** The dead-letter topic for a topic (undefined: the caller gets the error instead). */
    topicFor: (topic: TopicSpec) => TopicSpec | undefined;
  };
  /**
   * Told about each message dead-lettered (not awaited: it may add to this batcher), e.g. the
   * dispatcher logs the delivery it could not forward as failed.
   */
  onDeadLettered?: (topic: TopicSpec, message: RawMessage, reason: string) => unknown;
  /** Retries, splits and give-ups (defaults: `DEFAULT_ISOLATION_POLICY`, backoff up to 10 s). */
  isolation?: IsolationPolicy;
}

interface Pending {
  topic: TopicSpec;
  message: RawMessage;
  bytes: number;
  settle: (error?: unknown) => void;
}

const DEFAULT_MAX_BYTES = 512 * 1024;
/** The dead-letter class of a message the broker refused (header `herald-dlq-error-class`). */
export const REFUSED_BY_BROKER = 'refused_by_broker';
/** Per-record overhead counted against `maxBytes` (lengths, offsets, timestamps, attributes). */
const RECORD_OVERHEAD_BYTES = 64;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What one message counts against a request's `maxBytes`. */
export function recordBytes(m: RawMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(m.key) + (m.value === null ? 0 : Buffer.byteLength(m.value));
  for (const [name, value] of Object.entries(m.headers ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

/** Splits messages, in order, into runs of at most `maxBytes` each (a larger message stands alone). */
export function chunkByBytes<M extends RawMessage>(messages: readonly M[], maxBytes: number): M[][] {
  const chunks: M[][] = [];
  let current: M[] = [];
  let size = 0;
  for (const m of messages) {
    const bytes = recordBytes(m);
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The one outbound batcher: what a service produces from a consumer (the router's deliveries
 * and the outcomes of those it cannot send, the dispatcher's outcomes and retry-tier, DLQ and ordered-mode
 * forwards) waits a little and leaves together, every topic in ONE produce request
 * (`HeraldProducer.sendRawBatch`). The producer is idempotent with one request in flight, so
 * one produce per message would cap a service at one round trip per message; here, while one
 * request is in flight the next one fills up.
 *
 * Order is kept: requests leave one at a time, in the order their messages were added, and
 * within a request each topic's messages are in that order. A caller's promise settles once
 * every message it added was acknowledged by the broker (or, with `onFailure: 'reject'`, when
 * one of its requests failed); a consumer commits its offsets only after that.
 */
export class OutboundBatcher {
  private readonly logger = new Logger('OutboundBatcher');
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private timer?: { cancel: () => void };
  private draining?: Promise<void>;
  private closed = false;
  private readonly isolation = new IsolationState();
  private readonly maxBatch: number;
  private readonly maxBytes: number;

  constructor(
    private readonly producer: Pick<HeraldProducer, 'sendRawBatch'> & Partial<Pick<HeraldProducer, 'reachable'>>,
    private readonly opts: OutboundBatcherOptions,
  ) {
    this.maxBatch = opts.maxBatch ?? Infinity;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /** One message; resolves once the broker acknowledged it. */
  add(topic: TopicSpec, message: RawMessage): Promise<void> {
    return this.addAll([{ topic, message }]);
  }

  /** Several messages, kept in this order; resolves once every one was acknowledged. */
  addAll(items: readonly OutboundMessage[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let left = items.length;
      let failed = false;
      const settle = (error?: unknown) => {
        if (failed) return;
        if (error !== undefined) {
          failed = true;
          reject(error);
        } else if (--left === 0) resolve();
      };
      for (const { topic, message } of items) {
        const bytes = recordBytes(message);
        this.queue.push({ topic, message, bytes, settle });
        this.queuedBytes += bytes;
      }
      this.schedule();
    });
  }

  /** Sends everything queued now; resolves when the queue is empty and no request is in flight. */
  async flush(): Promise<void> {
    this.cancelTimer();
    while (this.queue.length > 0 || this.draining) {
      this.draining ??= this.drain().finally(() => {
        this.draining = undefined;
        // Added after the drain's last look: it leaves on its own linger.
        if (this.queue.length > 0) this.schedule();
      });
      await this.draining;
    }
  }

  /** Flushes what is queued, then stops retrying failed requests (shutdown). */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.draining) return; // the running drain takes it next
    if (this.queue.length >= this.maxBatch || this.queuedBytes >= this.maxBytes) {
      void this.flush();
    } else if (!this.timer) {
      const run = () => {
        this.timer = undefined;
        void this.flush();
      };
      if (this.opts.lingerMs > 0) {
        const t = setTimeout(run, this.opts.lingerMs);
        this.timer = { cancel: () => clearTimeout(t) };
      } else {
        const i = setImmediate(run);
        this.timer = { cancel: () => clearImmediate(i) };
      }
    }
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // Let what the rest of this turn adds (other partitions of the same fetch) join the request.
      if (this.opts.lingerMs === 0) await new Promise((r) => setImmediate(r));
      await this.send(this.take());
    }
  }

  /** The next batch from the head of the queue: at most maxBatch messages and maxBytes (at least one message). */
  private take(): Pending[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < this.maxBatch && (n === 0 || bytes + this.queue[n].bytes <= this.maxBytes)) {
      bytes += this.queue[n].bytes;
      n++;
    }
    this.queuedBytes -= bytes;
    return this.queue.splice(0, n);
  }

  private request(batch: readonly Pending[]): { topic: TopicSpec; messages: RawMessage[] }[] {
    const byTopic = new Map<TopicSpec, RawMessage[]>();
    for (const topic of this.opts.topicOrder ?? []) byTopic.set(topic, []);
    for (const p of batch) {
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, (list = []));
      list.push(p.message);
    }
    return [...byTopic].filter(([, messages]) => messages.length > 0).map(([topic, messages]) => ({ topic, messages }));
  }

  private async send(batch: Pending[]): Promise<void> {
    const settled = new Set<Pending>();
    const settle = (p: Pending, error?: unknown) => {
      if (settled.has(p)) return;
      settled.add(p);
      p.settle(error);
    };
    try {
      await isolateFailures<Pending>(
        batch,
        {
          attempt: (part) => this.producer.sendRawBatch(this.request(part), { compression: this.opts.compression }),
          handled: (part) => part.forEach((p) => settle(p)),
          giveUp: (p, why) => this.giveUp(p, why, settle),
          probe: () => (this.producer.reachable ? this.producer.reachable() : Promise.resolve(true)),
          transient: (e, failure) => this.logger.warn(`produce of ${batch.length} messages failed (${failure.label}), retrying: ${(e as Error).message}`),
          failed: (e, failure, part) =>
            this.logger.warn(
              `produce of ${part.length} message(s) refused (${failure.label}): ${(e as Error).message}; ${part.length > 1 ? 'splitting the request' : 'trying it alone'}`,
            ),
          recovered: () => this.logger.log('produce recovered'),
          // Closed (shutdown): what is left stays unsettled, uncommitted, and is produced again by the next owner.
          running: () => !this.closed,
          onTransient: this.opts.onFailure === 'reject' ? 'throw' : 'retry',
          sleep,
        },
        this.isolation,
        this.opts.isolation ?? DEFAULT_ISOLATION_POLICY,
      );
    } catch (e) {
      const error = e instanceof TransientFailureWhileIsolating ? e.error : e;
      for (const p of batch) settle(p, error);
    }
  }

  /** A message the broker refuses on its own: to its topic's DLQ (then it counts as sent), else its caller gets the error. */
  private async giveUp(p: Pending, why: GivenUp, settle: (p: Pending, error?: unknown) => void): Promise<void> {
    const dlq = this.opts.deadLetters?.topicFor(p.topic);
    const message = why.error instanceof Error ? why.error.message : String(why.error);
    if (!this.opts.deadLetters || !dlq) {
      settle(p, why.error);
      return;
    }
    const reason = `the broker refused it (${why.failure.label}, ${p.bytes} bytes uncompressed): ${message}`;
    await this.opts.deadLetters.writer.deadLetter(
      dlq,
      { topic: p.topic.name, partition: -1, offset: '-1' },
      { key: Buffer.from(p.message.key), value: p.message.value === null ? null : Buffer.from(p.message.value), headers: p.message.headers ?? {} },
      reason,
      isRefusal(why.failure) ? REFUSED_BY_BROKER : 'produce',
    );
    settle(p);
    if (this.opts.onDeadLettered) {
      void Promise.resolve()
        .then(() => this.opts.onDeadLettered?.(p.topic, p.message, reason))
        .catch((e: Error) => this.logger.error(`onDeadLettered failed: ${e.message}`));
    }
  }
}

function isRefusal(f: FailureClass): boolean {
  return f.kind === 'message' && f.label.startsWith('kafka ');
}
