import { Injectable } from '@nestjs/common';
import {
  ConsumerGroups,
  DeliveryContract,
  DeliveryOutcomeContract,
  Headers,
  ResourceChangeContract,
  Topics,
  encodeOwn,
  type ResourceChange,
  type TopicSpec,
} from '@herald/contracts';
import { InjectConfig } from '@herald/platform/config';
import { metric, type MetricsOf } from '@herald/platform/observability';
import {
  ConsumerDeps,
  ContractConsumer,
  HeraldProducer,
  OutboundBatcher,
  TopicAdmin,
  retryWithBackoff,
  type ConsumedItem,
  type OutboundMessage,
} from '@herald/platform/kafka';
import { RouteResourceChange, SubscriptionDirectory } from '@herald/routing/matching';
import type { RouterConfig } from './config';

/** Every topic the router reads or writes; created at start-up when missing. */
export const ROUTER_TOPICS: readonly TopicSpec[] = [
  Topics.ResourceChanges,
  Topics.ResourceChangesDlq,
  Topics.Subscriptions,
  Topics.Deliveries,
  Topics.DeliveriesDlq,
  Topics.DeliveryOutcomes,
];

/** The router's metrics (consumer lag and dead letters are the platform's). */
const ROUTER_METRICS = {
  changes: metric.counter('herald_router_changes_total', 'Resource changes routed, by event type', ['event_type']),
  matches: metric.counter('herald_router_matches_total', 'Deliveries produced by the router: one per (change x matching subscription)'),
  notInFormat: metric.counter('herald_router_not_in_format_total', 'Matches whose payload format does not carry the change (renderer returned null)', ['format']),
  oversized: metric.counter('herald_router_oversized_deliveries_total', 'Deliveries over HERALD_ROUTER_MAX_DELIVERY_BYTES, by format and what became of them: thin (rendered without the resource) or dead_lettered', ['format', 'result']),
  renderFailures: metric.counter('herald_router_render_failures_total', 'Matches that could not be rendered (dead-lettered to herald.deliveries.dlq)', ['format']),
  routingSeconds: metric.histogram('herald_router_routing_seconds', 'From a batch being handed to the router to its deliveries acknowledged by Kafka, per change', [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  eventAgeSeconds: metric.histogram('herald_router_event_age_seconds', "From a change's occurredAt (commit) to its deliveries acknowledged by Kafka", [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
};

/**
 * Consumes `herald.resource-changes.v1` (order kept per partition, so per resource) and produces,
 * for each change, ONE message per matching subscription: the delivery, to `herald.deliveries.v1`.
 * The registry logs it as Queued from that topic with a consumer group of its own (no second
 * message carrying the body again; the log's upsert does not depend on the order in which a
 * delivery's Queued entry and its attempts arrive). The
 * batches of all partitions routed at once share produce requests (`OutboundBatcher`, under a
 * byte cap, compressed with HERALD_KAFKA_COMPRESSION); offsets are committed only after their
 * messages were acknowledged, and a request the broker is away for fails the batch (the base
 * class retries it, readiness down); a message it refuses alone goes to the DLQ.
 * Invalid events go to `herald.resource-changes.v1.dlq` (the base class), a delivery that
 * cannot be rendered, or is over HERALD_ROUTER_MAX_DELIVERY_BYTES in a format that cannot be
 * rendered thin, goes to `herald.deliveries.dlq` with the reason; neither stops the router.
 * It joins its group only once the subscription set has caught up with its compacted topic.
 */
@Injectable()
export class ResourceChangeConsumer extends ContractConsumer<ResourceChange> {
  protected readonly contract = ResourceChangeContract;
  protected readonly topics = [Topics.ResourceChanges];
  protected readonly groupId = ConsumerGroups.EventRouter;
  /** A brand-new group routes what is already on the topic: a committed change is never skipped. */
  protected override readonly fromBeginning = true;
  /** Each change's consumer span; the deliveries and outcomes it makes carry it on. */
  protected override readonly spanName = 'route resource-change';
  protected override readonly partitionsConsumedConcurrently: number;
  /**
   * Each part of a partition's batch (HERALD_ROUTER_BATCH_MAX_CHANGES changes) is committed as soon
   * as its deliveries are acknowledged: after a crash or a lost membership the next owner re-routes
   * at most the parts in flight — each re-routed change is a duplicate delivery to every hook it
   * matches.
   */
  protected override readonly maxBatchItems: number;
  protected override readonly commitEveryBatch = true;

  private readonly metrics: MetricsOf<typeof ROUTER_METRICS>;
  private shuttingDown = false;
  private readonly out: OutboundBatcher;

  constructor(
    deps: ConsumerDeps,
    private readonly subscriptions: SubscriptionDirectory,
    private readonly route: RouteResourceChange,
    producer: HeraldProducer,
    private readonly topicAdmin: TopicAdmin,
    @InjectConfig() config: RouterConfig,
  ) {
    super(deps);
    this.out = new OutboundBatcher(producer, {
      lingerMs: 0,
      maxBytes: config.HERALD_ROUTER_PRODUCE_MAX_BYTES,
      topicOrder: [Topics.DeliveryOutcomes, Topics.Deliveries],
      onFailure: 'reject',
      // The size cap keeps deliveries under the broker's limit; one it refuses anyway goes to the DLQ alone.
      deadLetters: { writer: deps.deadLetters, topicFor: () => Topics.DeliveriesDlq },
    });
    this.partitionsConsumedConcurrently = config.HERALD_ROUTER_PARTITIONS_CONCURRENTLY;
    this.maxBatchItems = config.HERALD_ROUTER_BATCH_MAX_CHANGES;
    this.metrics = deps.metrics.define(ROUTER_METRICS);
  }

  override async onApplicationBootstrap(): Promise<void> {
    // In the background: /health answers (not ready) while Kafka is away or the set loads.
    void this.startOnceSubscriptionsLoaded();
  }

  override async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    await super.onApplicationShutdown();
  }

  private async startOnceSubscriptionsLoaded(): Promise<void> {
    await retryWithBackoff(
      async () => {
        await this.topicAdmin.ensureTopics(ROUTER_TOPICS);
        await this.subscriptions.start();
      },
      {
        stopped: () => this.shuttingDown,
        onError: (e) => this.logger.warn(`cannot load subscriptions yet, retrying: ${e.message}`),
      },
    );
    await this.subscriptions.caughtUp;
    if (this.shuttingDown) return;
    this.logger.log(
      `subscription set loaded (${this.subscriptions.size} routable); joining ${this.groupId}`,
    );
    await super.onApplicationBootstrap();
  }

  protected override async handleBatch(items: ConsumedItem<ResourceChange>[]): Promise<void> {
    const started = performance.now();
    const routedAt = new Date();
    const messages: OutboundMessage[] = [];
    let deliveries = 0;
    for (const { value: change, ctx } of items) {
      if (!change) continue; // not a compacted topic: the base class dead-letters empty values
      const routed = this.route.execute({ change, routedAt });
      this.metrics.changes.inc({ event_type: routed.eventType });
      // The change's consumer span (`ctx.trace`), else the trace context inside the event.
      const trace = { [Headers.TraceParent]: change.traceparent, ...ctx.trace };
      for (const { delivery, subscription, thin } of routed.deliveries) {
        if (thin) this.metrics.oversized.inc({ format: subscription.payloadFormat, result: 'thin' });
        messages.push({ topic: Topics.Deliveries, message: encodeOwn(DeliveryContract, delivery, { trace }) });
        deliveries++;
      }
      for (const sub of routed.notInFormat) this.metrics.notInFormat.inc({ format: sub.payloadFormat });
      for (const { subscription, reason } of routed.failures) {
        this.metrics.renderFailures.inc({ format: subscription.payloadFormat });
        await this.deps.deadLetters.deadLetter(
          Topics.DeliveriesDlq,
          ctx,
          {
            key: Buffer.from(subscription.id),
            value: Buffer.from(JSON.stringify(change)),
            headers: ctx.headers,
          },
          `cannot render ${routed.eventType} ${change.eventId} for subscription ${subscription.id} ` +
            `(format ${subscription.payloadFormat}): ${reason}`,
          'render',
        );
      }
      for (const { subscription, reason, outcome } of routed.tooLarge) {
        this.metrics.oversized.inc({ format: subscription.payloadFormat, result: 'dead_lettered' });
        // The change goes to the DLQ for this hook (replayable once the cap allows), and the
        // hook's log says why it got nothing.
        await this.deps.deadLetters.deadLetter(
          Topics.DeliveriesDlq,
          ctx,
          { key: Buffer.from(subscription.id), value: Buffer.from(JSON.stringify(change)), headers: ctx.headers },
          `${routed.eventType} ${change.eventId} for subscription ${subscription.id}: ${reason}`,
          'too_large',
        );
        messages.push({ topic: Topics.DeliveryOutcomes, message: encodeOwn(DeliveryOutcomeContract, outcome, { trace }) });
      }
    }
    await this.out.addAll(messages);
    this.metrics.matches.inc(deliveries);
    const done = Date.now();
    const seconds = (performance.now() - started) / 1000;
    for (const { value } of items) {
      if (!value) continue;
      this.metrics.routingSeconds.observe(seconds);
      this.metrics.eventAgeSeconds.observe(Math.max(0, done - Date.parse(value.occurredAt)) / 1000);
    }
  }
}
