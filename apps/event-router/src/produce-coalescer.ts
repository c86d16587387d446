import type { CompressionTypes } from 'kafkajs';
import { Topics } from '@herald/contracts';
import type { HeraldProducer, RawMessage } from '@herald/platform/kafka';

interface Pending {
  outcomes: RawMessage[];
  deliveries: RawMessage[];
  bytes: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const sizeOf = (m: RawMessage) => (m.value?.length ?? 0) + m.key.length + 64;

/**
 * Puts the deliveries (and their `queued` outcomes) of every partition being routed at the same
 * time into as few produce requests as possible: while one request is in flight the next one
 * fills up, so the router pays one round trip per wave of batches, not two per batch. Each
 * request carries the outcomes before the deliveries (the log sees `queued` first), and stays
 * under `maxBytes` per topic so that no partition's record batch can exceed the broker's
 * message.max.bytes. A caller's promise settles when its own messages were acknowledged.
 */
export class ProduceCoalescer {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly producer: HeraldProducer,
    private readonly maxBytes = 900_000,
    private readonly compression?: CompressionTypes,
  ) {}

  send(outcomes: RawMessage[], deliveries: RawMessage[]): Promise<void> {
    if (deliveries.length === 0 && outcomes.length === 0) return Promise.resolve();
    const chunks = this.split(outcomes, deliveries);
    return Promise.all(
      chunks.map(
        (c) =>
          new Promise<void>((resolve, reject) => {
            this.queue.push({ ...c, resolve, reject });
            this.kick();
          }),
      ),
    ).then(() => undefined);
  }

  private kick(): void {
    if (!this.flushing && this.queue.length > 0) void this.flush();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    // Let the other partitions' batches of this fetch join the request.
    await new Promise((r) => setImmediate(r));
    const taken: Pending[] = [];
    let bytes = 0;
    while (
      this.queue.length > 0 &&
      (taken.length === 0 || bytes + this.queue[0].bytes <= this.maxBytes)
    ) {
      const next = this.queue.shift() as Pending;
      bytes += next.bytes;
      taken.push(next);
    }
    try {
      await this.producer.sendRawBatch(
        [
          { topic: Topics.DeliveryOutcomes, messages: taken.flatMap((p) => p.outcomes) },
          { topic: Topics.Deliveries, messages: taken.flatMap((p) => p.deliveries) },
        ],
        { compression: this.compression },
      );
      for (const p of taken) p.resolve();
    } catch (e) {
      for (const p of taken) p.reject(e);
    } finally {
      this.flushing = false;
      this.kick();
    }
  }

  /** Splits one caller's messages into pieces that each fit a request (a 10,000-hook fan-out). */
  private split(
    outcomes: RawMessage[],
    deliveries: RawMessage[],
  ): Omit<Pending, 'resolve' | 'reject'>[] {
    const out: Omit<Pending, 'resolve' | 'reject'>[] = [];
    let current = { outcomes: [] as RawMessage[], deliveries: [] as RawMessage[], bytes: 0 };
    const n = Math.max(outcomes.length, deliveries.length);
    for (let i = 0; i < n; i++) {
      const o = outcomes[i];
      const d = deliveries[i];
      const bytes = (o ? sizeOf(o) : 0) + (d ? sizeOf(d) : 0);
      if (current.bytes > 0 && current.bytes + bytes > this.maxBytes) {
        out.push(current);
        current = { outcomes: [], deliveries: [], bytes: 0 };
      }
      if (o) current.outcomes.push(o);
      if (d) current.deliveries.push(d);
      current.bytes += bytes;
    }
    if (current.bytes > 0) out.push(current);
    return out;
  }
}
