import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  DeliveryContract,
  Headers,
  Topics,
  schemaHeaderValue,
  type Delivery,
} from '@herald/contracts';
import { KafkaClient, decodeMessage } from '@herald/platform/kafka';
import { DLQ_REDRIVE_MARKS_TABLE, qualified } from '../delivery-log.constants';
import { assertResendable, HookDirectory } from '../hook-directory';
import { DeliveryResender } from '../resend/delivery-resender';
import { TopicRangeReader } from '../resend/dlq-reader';

export interface RedriveDeadLettersCommand {
  tenantId: string;
  subscriptionId: string;
}

export interface RedriveDeadLettersResult {
  /** Deliveries produced again to `herald.deliveries.v1` (origin `redrive`, attempt 1). */
  count: number;
  /** DLQ messages of this hook that are not deliveries (poison messages): left where they are. */
  skipped: number;
}

/**
 * DLQ redrive for one hook. The DLQ is keyed by subscription id; the registry remembers, per
 * hook and DLQ partition, the offset up to which it has redriven (`dlq_redrive_marks`), so a
 * redrive sends each dead-lettered delivery of the hook once: it reads from that mark to the
 * high watermark seen when it started, re-produces this hook's deliveries as new deliveries
 * (attempt reset, same event id) and moves the mark, all under a per-hook advisory lock.
 * A crash between producing and moving the mark sends those again on the next redrive (the
 * receiver sees the same `webhook-id`).
 */
@Injectable()
export class RedriveDeadLetters {
  private readonly logger = new Logger(RedriveDeadLetters.name);

  constructor(
    private readonly ds: DataSource,
    private readonly client: KafkaClient,
    private readonly reader: TopicRangeReader,
    private readonly hooks: HookDirectory,
    private readonly resender: DeliveryResender,
  ) {}

  async execute(cmd: RedriveDeadLettersCommand): Promise<RedriveDeadLettersResult> {
    const hook = await this.hooks.find(cmd.tenantId, cmd.subscriptionId);
    assertResendable(hook, cmd.subscriptionId);
    const topic = this.client.topic(Topics.DeliveriesDlq);
    return this.ds.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`dlq-redrive:${hook.id}`]);
      const marks: { partition: number; next_offset: string }[] = await em.query(
        `SELECT partition, next_offset::text AS next_offset FROM ${qualified(DLQ_REDRIVE_MARKS_TABLE)}
          WHERE subscription_id = $1 AND topic = $2`,
        [hook.id, topic],
      );
      const markOf = new Map(marks.map((m) => [m.partition, BigInt(m.next_offset)]));
      const bounds = await this.reader.bounds(Topics.DeliveriesDlq);
      const ranges = bounds.map((b) => {
        const mark = markOf.get(b.partition) ?? 0n;
        const from = mark > BigInt(b.low) ? mark : BigInt(b.low);
        return { partition: b.partition, from: String(from), to: b.high };
      });
      const read = await this.reader.read(Topics.DeliveriesDlq, ranges, {
        keep: (m) => m.key?.toString('utf8') === hook.id,
      });
      const deliveries: Delivery[] = [];
      let skipped = 0;
      const deliverySchema = schemaHeaderValue(DeliveryContract);
      for (const { message } of read) {
        if (message.key?.toString('utf8') !== hook.id) continue;
        const schema = message.headers?.[Headers.Schema]?.toString();
        const decoded = decodeMessage(DeliveryContract, message);
        if (
          (schema && schema !== deliverySchema) ||
          decoded.kind !== 'value' ||
          decoded.value.tenantId !== hook.tenantId
        ) {
          skipped += 1;
          continue;
        }
        deliveries.push(decoded.value);
      }
      await this.resender.resend(
        hook,
        deliveries.map((d) => ({
          eventId: d.eventId,
          eventType: d.eventType,
          resourceType: String(d.resourceType),
          resourceId: d.resourceId,
          projectId: d.projectId,
          occurredAt: d.occurredAt,
          body: d.body,
          contentType: d.contentType,
          headers: d.headers,
        })),
        'redrive',
      );
      for (const r of ranges) {
        await em.query(
          `INSERT INTO ${qualified(DLQ_REDRIVE_MARKS_TABLE)} (subscription_id, topic, partition, next_offset, updated_at)
           VALUES ($1, $2, $3, $4, now())
           ON CONFLICT (subscription_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
          [hook.id, topic, r.partition, r.to],
        );
      }
      if (deliveries.length || skipped) {
        this.logger.log(
          `redrove ${deliveries.length} dead-lettered deliveries of ${hook.id} (${skipped} poison messages left)`,
        );
      }
      return { count: deliveries.length, skipped };
    });
  }
}
