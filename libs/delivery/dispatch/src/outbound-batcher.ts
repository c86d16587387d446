import { Logger } from '@nestjs/common';
import { Headers, schemaHeaderValue, type MessageContract, type TopicSpec } from '@herald/contracts';
import type { HeraldProducer, RawMessage } from '@herald/platform/kafka';

interface Pending {
  topic: TopicSpec;
  message: RawMessage;
  bytes: number;
  resolve: () => void;
}

export interface OutboundBatcherOptions {
  /** How long a message waits for company before its batch leaves. */
  lingerMs: number;
  /** Messages per produce request at most. */
  maxBatch: number;
  /** Bytes (keys + values) per produce request at most: the broker refuses record batches over its limit (1 MB by default). */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 512 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Everything the dispatcher writes (outcomes, retry-tier and ordered-mode forwards) goes through
 * here: messages wait a few milliseconds (`lingerMs`) and leave together, every topic in ONE
 * produce request (`sendRawBatch`). The producer is idempotent with one request in flight, so one
 * produce per delivery would cap the dispatcher at one round trip per delivery. Order is kept:
 * batches leave one at a time, and within a batch in the order they were added.
 *
 * A failed produce is retried (same batch, same order) until it succeeds or the batcher is
 * closed; the callers' promises resolve only after the broker acknowledged, and the consumer
 * commits a delivery's offset only after that.
 */
export class OutboundBatcher {
  private readonly logger = new Logger('OutboundBatcher');
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private closed = false;
  private readonly maxBytes: number;

  constructor(
    private readonly producer: Pick<HeraldProducer, 'sendRawBatch'>,
    private readonly opts: OutboundBatcherOptions = { lingerMs: 5, maxBatch: 500 },
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /** A contract value: validated, keyed and stamped with its schema header like `HeraldProducer.send`. */
  addValue<T>(contract: MessageContract<T>, topic: TopicSpec, value: T, headers: Record<string, string> = {}): Promise<void> {
    const parsed = contract.schema.parse(value);
    return this.add(topic, {
      key: contract.key(parsed),
      value: JSON.stringify(parsed),
      headers: { [Headers.Schema]: schemaHeaderValue(contract), ...headers },
    });
  }

  add(topic: TopicSpec, message: RawMessage): Promise<void> {
    return new Promise<void>((resolve) => {
      const bytes = Buffer.byteLength(message.key) + (message.value === null ? 0 : Buffer.byteLength(message.value));
      this.queue.push({ topic, message, bytes, resolve });
      this.queuedBytes += bytes;
      if (this.queue.length >= this.opts.maxBatch || this.queuedBytes >= this.maxBytes) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.opts.lingerMs);
    });
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    while (this.queue.length > 0) {
      const batch = this.take();
      this.flushing = this.send(batch).finally(() => (this.flushing = undefined));
      await this.flushing;
    }
  }

  /** Flushes what is queued and stops retrying (shutdown). */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  /** The next batch from the head of the queue: at most maxBatch messages and maxBytes (at least one message). */
  private take(): Pending[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < this.opts.maxBatch && (n === 0 || bytes + this.queue[n].bytes <= this.maxBytes)) {
      bytes += this.queue[n].bytes;
      n++;
    }
    this.queuedBytes -= bytes;
    return this.queue.splice(0, n);
  }

  private async send(batch: Pending[]): Promise<void> {
    const byTopic = new Map<TopicSpec, RawMessage[]>();
    for (const p of batch) {
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, (list = []));
      list.push(p.message);
    }
    const request = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    let delay = 200;
    for (;;) {
      try {
        await this.producer.sendRawBatch(request);
        for (const p of batch) p.resolve();
        return;
      } catch (e) {
        this.logger.warn(`produce of ${batch.length} messages failed, retrying: ${(e as Error).message}`);
        if (this.closed) return; // left unresolved: those deliveries stay uncommitted and are re-delivered
        await sleep(delay);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }
}
