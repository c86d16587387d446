import { Injectable } from '@nestjs/common';
import type { Counter, Gauge } from 'prom-client';
import { MetricsRegistry, ReadinessRegistry } from '@herald/platform/observability';
import { KafkaClient } from './kafka-client';
import { DeadLetterWriter } from './dead-letter';

/** What every consumer needs, in one injectable, so subclasses have a one-argument constructor. */
@Injectable()
export class ConsumerDeps {
  readonly lag: Gauge<'group' | 'topic' | 'partition'>;
  /** Messages a `ContractConsumer` dead-lettered: `invalid` (failed validation) or `handler` (failed on its own). */
  readonly deadLettered: Counter<'group' | 'reason'>;

  constructor(
    readonly client: KafkaClient,
    readonly deadLetters: DeadLetterWriter,
    readonly readiness: ReadinessRegistry,
    readonly metrics: MetricsRegistry,
  ) {
    this.lag = metrics.gauge({
      name: 'herald_consumer_lag',
      help: 'Messages between a consumer group position and the partition end, per group and partition',
      labelNames: ['group', 'topic', 'partition'],
    });
    this.deadLettered = metrics.counter({
      name: 'herald_consumer_dead_letters_total',
      help: 'Messages a consumer moved to its dead-letter topic: invalid (failed validation) or handler (failed on its own, after splitting its batch)',
      labelNames: ['group', 'reason'],
    });
  }
}
