import { Logger } from '@nestjs/common';
import { Headers, schemaHeaderValue, type MessageContract, type TopicSpec } from '@herald/contracts';
import type { HeraldProducer, RawMessage } from '@herald/platform/kafka';

interface Pending {
  topic: TopicSpec;
  message: RawMessage;
  resolve: () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Everything the dispatcher writes (outcomes, retry-tier and ordered-mode forwards) goes through
 * here: messages wait a few milliseconds (`lingerMs`) and leave in one produce per topic. The
 * producer is idempotent with one request in flight, so one produce per delivery would cap the
 * dispatcher at one round trip per delivery. Order is kept: batches leave one at a time, and
 * within a batch in the order they were added.
 *
 * A failed produce is retried (same batch, same order) until it succeeds or the batcher is
 * closed; the callers' promises resolve only after the broker acknowledged, and the consumer
 * commits a delivery's offset only after that.
 */
export class OutboundBatcher {
  private readonly logger = new Logger('OutboundBatcher');
  private queue: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private closed = false;

  constructor(
    private readonly producer: Pick<HeraldProducer, 'sendRaw'>,
    private readonly opts: { lingerMs: number; maxBatch: number } = { lingerMs: 5, maxBatch: 500 },
  ) {}

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
      this.queue.push({ topic, message, resolve });
      if (this.queue.length >= this.opts.maxBatch) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.opts.lingerMs);
    });
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.send(batch).finally(() => (this.flushing = undefined));
    await this.flushing;
    if (this.queue.length > 0) this.timer ??= setTimeout(() => void this.flush(), this.opts.lingerMs);
  }

  /** Flushes what is queued and stops retrying (shutdown). */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private async send(batch: Pending[]): Promise<void> {
    const byTopic = new Map<TopicSpec, Pending[]>();
    for (const p of batch) {
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, (list = []));
      list.push(p);
    }
    for (const [topic, list] of byTopic) {
      let delay = 200;
      for (;;) {
        try {
          await this.producer.sendRaw(topic, list.map((p) => p.message));
          for (const p of list) p.resolve();
          break;
        } catch (e) {
          this.logger.warn(`produce to ${topic.name} failed (${list.length} messages), retrying: ${(e as Error).message}`);
          if (this.closed) return; // left unresolved: those deliveries stay uncommitted and are re-delivered
          await sleep(delay);
          delay = Math.min(delay * 2, 5_000);
        }
      }
    }
  }
}
