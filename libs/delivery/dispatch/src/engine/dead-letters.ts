import { Logger } from '@nestjs/common';
import { DeliveryContract, Topics, traceHeaders, type Delivery } from '@herald/contracts';
import { decodeMessage, headersOf, retryWithBackoff, type DeadLetterWriter } from '@herald/platform/kafka';
import type { TrackedMessage } from '@herald/delivery/retry-tiers';
import type { DispatchMetrics } from '../dispatch-metrics';
import type { Entry } from './lanes';

export type DecodedDelivery =
  | { kind: 'delivery'; delivery: Delivery; trace: Record<string, string> }
  | { kind: 'invalid'; reason: string };

/** A consumed message as a delivery with its trace context, or why it is not one (invalid, tombstone). */
export function decodeDelivery(m: TrackedMessage): DecodedDelivery {
  const decoded = decodeMessage(DeliveryContract, m.message);
  if (decoded.kind === 'value') return { kind: 'delivery', delivery: decoded.value, trace: traceHeaders(headersOf(m.message)) };
  return { kind: 'invalid', reason: decoded.kind === 'invalid' ? decoded.reason : 'tombstone on a delivery topic' };
}

/**
 * What the dispatcher writes to `herald.deliveries.dlq`: messages that are not deliveries, and
 * deliveries that ended there (exhausted, unsubscribed, expired behind an ordered head). Each
 * write is retried until Kafka took it: the delivery must not be committed before.
 */
export class DeliveryDeadLetters {
  private readonly logger = new Logger('DeliveryEngine');

  constructor(
    private readonly writer: Pick<DeadLetterWriter, 'deadLetter'>,
    private readonly metrics: Pick<DispatchMetrics, 'dlqMessages'>,
  ) {}

  /** A message that is not a valid delivery, as it was consumed. */
  async invalid(m: TrackedMessage, reason: string): Promise<void> {
    await this.durably(() => this.writer.deadLetter(Topics.DeliveriesDlq, sourceOf(m), m.message, reason));
    this.metrics.dlqMessages.inc({ reason: 'invalid' });
  }

  /** A delivery that ends in the DLQ; `label` is the metric's reason (exhausted, unsubscribed). */
  async delivery(e: Entry, reason: string, errorClass: string, label: string): Promise<void> {
    const value = Buffer.from(JSON.stringify(e.delivery));
    await this.durably(() =>
      this.writer.deadLetter(
        Topics.DeliveriesDlq,
        sourceOf(e.source),
        { key: Buffer.from(e.delivery.subscriptionId), value, headers: { ...e.source.message.headers } },
        reason,
        errorClass,
      ),
    );
    this.metrics.dlqMessages.inc({ reason: label });
  }

  private async durably(write: () => Promise<void>): Promise<void> {
    await retryWithBackoff(write, {
      onError: (err) => this.logger.warn(`write failed, retrying: ${err.message}`),
      firstDelayMs: 200,
      maxDelayMs: 5_000,
    });
  }
}

function sourceOf(m: Pick<TrackedMessage, 'topic' | 'partition' | 'offset'>): { topic: string; partition: number; offset: string } {
  return { topic: m.topic.name, partition: m.partition, offset: m.offset };
}
