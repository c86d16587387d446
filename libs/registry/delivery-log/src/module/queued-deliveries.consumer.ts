import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { ConsumerGroups, DeliveryContract, Topics, type Delivery, type TopicSpec } from '@herald/contracts';
import { ConsumerDeps, ContractConsumer, type ConsumedItem } from '@herald/platform/kafka';
import { MetricsRegistry } from '@herald/platform/observability';
import { RecordDeliveryOutcomes } from '../record-delivery-outcomes';
import { queuedOutcomeOf } from '../queued-outcome';

/**
 * `herald.deliveries.v1` → the delivery log's Queued entries: each delivery, with its body, as
 * the router (or a re-send) put it on the topic, read by the registry's own consumer group —
 * so the router produces ONE message per delivery, not the delivery plus a `queued` outcome
 * carrying the body again. A partition's batch is one statement.
 *
 * Order between this consumer and the outcomes consumer does not matter: the log's upsert is
 * commutative (status only moves forward by rank, the first body and queued time win, an
 * attempt's first outcome wins; `delivery-log.int-spec`: attempts logged before their queued
 * outcome end the same), so an attempt logged first is completed by its Queued entry (body,
 * queued time) when that comes, a few milliseconds later, and never set back.
 *
 * A new group reads the topic from its beginning, as the outcomes consumer does: nothing routed
 * before the registry first joined is missing from the log. The topic keeps 7 days, inside the
 * log's 28, and every write is idempotent, so an upgrade from a router that still produced
 * `queued` outcomes only logs again (a no-op) what the log already has.
 */
@Injectable()
export class QueuedDeliveriesConsumer extends ContractConsumer<Delivery> {
  protected readonly contract = DeliveryContract;
  protected readonly topics = [Topics.Deliveries];
  protected readonly groupId = ConsumerGroups.SubscriptionRegistryDeliveries;
  protected override readonly fromBeginning = true;
  protected override readonly partitionsConsumedConcurrently = 2;
  protected override readonly spanName = 'log queued delivery';
  private readonly queued: Counter;

  /**
   * The dispatcher owns this topic: it dead-letters what it cannot deliver. A message this log
   * cannot take is skipped (counted, warned), never dead-lettered again — a redrive would send it
   * to the receiver twice.
   */
  protected override get deadLetterTopic(): TopicSpec | null {
    return null;
  }

  constructor(
    deps: ConsumerDeps,
    private readonly record: RecordDeliveryOutcomes,
    metrics: MetricsRegistry,
  ) {
    super(deps);
    this.queued = metrics.counter({
      name: 'herald_delivery_log_queued_total',
      help: 'Deliveries the registry logged as Queued from herald.deliveries.v1',
    });
  }

  protected override async handleBatch(items: ConsumedItem<Delivery>[]): Promise<void> {
    const outcomes = items
      .map((i) => i.value)
      .filter((d): d is Delivery => d !== null)
      .map((d) => queuedOutcomeOf(d));
    await this.record.execute({ outcomes });
    this.queued.inc(outcomes.length);
  }
}
