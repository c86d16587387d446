import { Injectable } from '@nestjs/common';
import type { Gauge } from 'prom-client';
import { MetricsRegistry, ReadinessRegistry } from '@herald/platform/observability';
import { KafkaClient } from './kafka-client';
import { DeadLetterWriter } from './dead-letter';

/** What every consumer needs, in one injectable, so subclasses have a one-argument constructor. */
@Injectable()
export class ConsumerDeps {
  readonly lag: Gauge<'group' | 'topic' | 'partition'>;

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
  }
}
