import type { Counter, Gauge, Histogram } from 'prom-client';
import type { MetricsRegistry } from '@herald/platform/observability';

/** The dispatcher's Prometheus metrics (consumer lag is the platform's `herald_consumer_lag`). */
export class DispatchMetrics {
  readonly deliveries: Counter<'status'>;
  readonly attemptDuration: Histogram;
  readonly e2eLatency: Histogram;
  readonly inFlight: Gauge;
  readonly tierDepth: Gauge<'tier'>;
  readonly dlqMessages: Counter<'reason'>;
  readonly spilled: Counter<'reason'>;
  readonly hops: Counter<'tier'>;

  constructor(registry: MetricsRegistry) {
    this.deliveries = registry.counter({
      name: 'herald_deliveries_total',
      help: 'Delivery outcomes by status after each attempt (delivered, retrying, failed, discarded)',
      labelNames: ['status'],
    });
    this.attemptDuration = registry.histogram({
      name: 'herald_delivery_attempt_duration_seconds',
      help: 'Duration of one outbound HTTP attempt, connect to response (or timeout)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.e2eLatency = registry.histogram({
      name: 'herald_delivery_e2e_latency_seconds',
      help: "From the change's commit (occurredAt) to the receiver's 2xx",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    });
    this.inFlight = registry.gauge({ name: 'herald_deliveries_in_flight', help: 'HTTP attempts in flight' });
    this.tierDepth = registry.gauge({
      name: 'herald_retry_tier_depth',
      help: 'Deliveries waiting in a retry tier topic (end offset minus committed offset)',
      labelNames: ['tier'],
    });
    this.dlqMessages = registry.counter({
      name: 'herald_dlq_messages_total',
      help: 'Messages written to herald.deliveries.dlq, by reason (exhausted, unsubscribed, invalid)',
      labelNames: ['reason'],
    });
    this.spilled = registry.counter({
      name: 'herald_delivery_spilled_total',
      help: "Deliveries parked in a retry tier without an attempt because their hook's lane was full, by why: hanging, slow, rate_limited; ordered counts the pipes opened for an ordered hook",
      labelNames: ['reason'],
    });
    this.hops = registry.counter({
      name: 'herald_retry_tier_hops_total',
      help: 'Deliveries a retry tier handed over before they were due (a wait longer than the tier), re-queued to the tier of what was left, by that tier',
      labelNames: ['tier'],
    });
  }
}
