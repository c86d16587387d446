import { metric, type MetricsOf, type MetricsRegistry } from '@herald/platform/observability';

/** The dispatcher's Prometheus metrics (consumer lag is the platform's `herald_consumer_lag`). */
const DISPATCH_METRICS = {
  deliveries: metric.counter('herald_deliveries_total', 'Delivery outcomes by status after each attempt (delivered, retrying, failed, discarded)', ['status']),
  attemptDuration: metric.histogram('herald_delivery_attempt_duration_seconds', 'Duration of one outbound HTTP attempt, connect to response (or timeout)', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  e2eLatency: metric.histogram('herald_delivery_e2e_latency_seconds', "From the change's commit (occurredAt) to the receiver's 2xx", [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]),
  inFlight: metric.gauge('herald_deliveries_in_flight', 'HTTP attempts in flight'),
  tierDepth: metric.gauge('herald_retry_tier_depth', 'Deliveries waiting in a retry tier topic (end offset minus committed offset)', ['tier']),
  dlqMessages: metric.counter('herald_dlq_messages_total', 'Messages written to herald.deliveries.dlq, by reason (exhausted, unsubscribed, invalid)', ['reason']),
  spilled: metric.counter('herald_delivery_spilled_total', "Deliveries parked in a retry tier without an attempt because their hook's lane was full, by why: hanging, slow, rate_limited; tenant: its tenant held its floor of the partition and its attempts were not ending; tenant_bytes: its tenant held its byte hold of the partition; ordered counts the pipes opened for an ordered hook", ['reason']),
  hops: metric.counter('herald_retry_tier_hops_total', 'Deliveries a retry tier handed over before they were due (a wait longer than the tier), re-queued to the tier of what was left, by that tier', ['tier']),
};

export type DispatchMetrics = MetricsOf<typeof DISPATCH_METRICS>;

/** The dispatcher's metrics in the service's registry. */
export function dispatchMetrics(registry: MetricsRegistry): DispatchMetrics {
  return registry.define(DISPATCH_METRICS);
}
