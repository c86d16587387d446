import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import {
  ConsumerGroups,
  DeliveryOutcomeContract,
  Topics,
  type DeliveryOutcome,
} from '@herald/contracts';
import { ConsumerDeps, ContractConsumer, type ConsumedItem } from '@herald/platform/kafka';
import { MetricsRegistry } from '@herald/platform/observability';
import { RecordDeliveryOutcomes } from '../record-delivery-outcomes';
import { ApplyOutcomesToHookHealth } from '@herald/registry/hook-health';

/**
 * `herald.delivery-outcomes.v1` → the delivery log and hook health. A partition's batch is
 * logged in one statement; the attempts it logged for the first time (never a duplicate) then
 * drive hook health inside the same transaction, so a failure rolls the log back and the whole
 * batch is retried: no attempt is lost, and a duplicate is never counted (only a failed COMMIT
 * after a health change could count that batch's attempts again).
 */
@Injectable()
export class DeliveryOutcomesConsumer extends ContractConsumer<DeliveryOutcome> {
  protected readonly contract = DeliveryOutcomeContract;
  protected readonly topics = [Topics.DeliveryOutcomes];
  protected readonly groupId = ConsumerGroups.SubscriptionRegistryOutcomes;
  // A new group (first deployment) logs what the topic still holds rather than only what comes next.
  protected override readonly fromBeginning = true;
  protected override readonly partitionsConsumedConcurrently = 2;
  private readonly outcomes: Counter<'status'>;
  private readonly deadLettered: Counter;

  constructor(
    deps: ConsumerDeps,
    private readonly record: RecordDeliveryOutcomes,
    private readonly health: ApplyOutcomesToHookHealth,
    metrics: MetricsRegistry,
  ) {
    super(deps);
    this.outcomes = metrics.counter({
      name: 'herald_delivery_log_outcomes_total',
      help: 'Delivery outcomes logged by the registry, by the status they report',
      labelNames: ['status'],
    });
    this.deadLettered = metrics.counter({
      name: 'herald_dlq_messages_total',
      help: 'Deliveries that ended Failed into herald.deliveries.dlq, as seen in their outcomes (each counted once)',
    });
  }

  protected override async handleBatch(items: ConsumedItem<DeliveryOutcome>[]): Promise<void> {
    const outcomes = items.map((i) => i.value).filter((v): v is DeliveryOutcome => v !== null);
    const { newlyFailed } = await this.record.execute({
      outcomes,
      onNewAttempts: (attempts) => this.health.execute({ attempts }).then(() => undefined),
    });
    for (const o of outcomes) this.outcomes.inc({ status: o.status });
    if (newlyFailed) this.deadLettered.inc(newlyFailed);
  }
}
