import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { z } from 'zod';
import {
  ConsumerGroups,
  RetryTierTopics,
  retryTierDelayMs,
  SubscriptionSnapshotContract,
  Topics,
  type SubscriptionSnapshot,
} from '@herald/contracts';
import { InjectConfig } from '@herald/platform/config';
import { SecretBox } from '@herald/platform/crypto';
import { CompactedTopicView, ConsumerDeps, HeraldProducer, OutboundBatcher, TopicAdmin, retryWithBackoff } from '@herald/platform/kafka';
import { MetricsRegistry } from '@herald/platform/observability';
import { WebhookSender } from '@herald/delivery/sending';
import { TrackedConsumer, tierReleaseAt, type PendingBounds } from '@herald/delivery/retry-tiers';
import { EndpointDirectory, dispatchSnapshot, type DispatchSnapshot } from './endpoint-directory';
import { dispatchMetrics, type DispatchMetrics } from './dispatch-metrics';
import { DeliveryEngine, DEFAULT_DISPATCH_SETTINGS } from './delivery-engine';
import { OrderedPipeRebuilder } from './ordered-pipe-rebuilder';
import { LagMonitor } from './lag-monitor';
import { LoopStalls } from './engine/loop-stalls';

const int = (fallback: number, min = 1, max = 1_000_000) => z.coerce.number().int().min(min).max(max).default(fallback);

/** The dispatcher's own settings (beside HttpEnv, LogEnv, KafkaEnv, SecretsEnv, SsrfEnv). */
export const DispatchEnv = z.object({
  /** HTTP attempts in flight across all subscriptions. */
  HERALD_DISPATCH_MAX_IN_FLIGHT: int(DEFAULT_DISPATCH_SETTINGS.maxInFlight),
  /** HTTP attempts in flight per subscription (independent mode; ordered mode sends one at a time). */
  HERALD_DISPATCH_MAX_IN_FLIGHT_PER_SUBSCRIPTION: int(DEFAULT_DISPATCH_SETTINGS.maxInFlightPerSubscription, 1, 1_000),
  /** Unfinished deliveries one partition may hold before it is paused (backpressure). */
  HERALD_DISPATCH_MAX_PENDING_PER_PARTITION: int(1_000),
  /**
   * Bytes (keys and values) of unfinished deliveries one partition may hold before it is paused,
   * beside the count: 1,000 pending deliveries of 1 MB each would be 1 GB per partition. 4 MiB ×
   * the 12 partitions bounds the bodies a dispatcher holds at ~48 MiB (and their decoded and
   * rendered copies on the heap) and still lets ~1,000 deliveries of 50 KB wait for the 512 attempt
   * slots. A delivery larger than it is taken alone.
   */
  HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION: int(4 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
  /**
   * Unfinished deliveries one tenant may hold on one partition, and more only while its attempts
   * keep ending (see `TenantHolds`); unset: a quarter of HERALD_DISPATCH_MAX_PENDING_PER_PARTITION
   * (at most all of it).
   */
  HERALD_DISPATCH_MAX_PENDING_PER_PARTITION_PER_TENANT: z.coerce.number().int().min(1).max(1_000_000).optional(),
  /**
   * Bytes of unfinished deliveries one tenant may hold on one partition, and of its attempts
   * running from there (one delivery larger than it is held alone; see `TenantHolds`); unset: a
   * quarter of HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION (at most all of it).
   */
  HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION_PER_TENANT: z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).optional(),
  /** Deliveries one hook's lane may always queue, however slow its receiver (see `LaneBounds`). */
  HERALD_DISPATCH_LANE_QUEUE_FLOOR: int(DEFAULT_DISPATCH_SETTINGS.laneQueueFloor, 1, 10_000),
  /** Beyond the floor, a lane queues a delivery only if it would wait at most this long; the rest is parked in a tier. */
  HERALD_DISPATCH_LANE_MAX_WAIT_MS: int(DEFAULT_DISPATCH_SETTINGS.laneMaxWaitMs, 100, 3_600_000),
  /**
   * HTTP attempts one tenant may have in flight across all its hooks; unset: a quarter of
   * HERALD_DISPATCH_MAX_IN_FLIGHT (at most all of it).
   */
  HERALD_DISPATCH_MAX_IN_FLIGHT_PER_TENANT: z.coerce.number().int().min(1).max(1_000_000).optional(),
  /** Sockets per receiver origin. */
  HERALD_DISPATCH_CONNECTIONS_PER_ORIGIN: int(128, 1, 1_000),
  /**
   * HTTP attempts one tenant may have in flight to one receiver origin; unset: three quarters of
   * HERALD_DISPATCH_CONNECTIONS_PER_ORIGIN (at most all of it).
   */
  HERALD_DISPATCH_CONNECTIONS_PER_ORIGIN_PER_TENANT: z.coerce.number().int().min(1).max(1_000).optional(),
  /** How long shutdown waits for attempts in flight (the longest subscription timeout is 30 s). */
  HERALD_DISPATCH_SHUTDOWN_GRACE_MS: int(31_000, 0),
  /** How long outcomes and tier messages wait to leave in one produce. */
  HERALD_DISPATCH_PRODUCE_LINGER_MS: int(5, 0, 1_000),
  /**
   * How long the consumer's fetch waits on the broker when there is nothing to read. A fetch
   * returns as soon as one byte arrives (kafkajs' minBytes 1), so no new delivery waits for it;
   * it sets the idle cost — one fetch of all 96 deliveries and tier partitions per wait — and
   * bounds how late a partition resumed meanwhile (a tier's due retry, a backpressure pause) is
   * fetched again: kafkajs adds a resumed partition to the next fetch, not to the one waiting.
   * 1 s, the shortest tier's delay (was 200 ms: 5 idle fetches a second per dispatcher).
   */
  HERALD_DISPATCH_FETCH_MAX_WAIT_MS: int(1_000, 10, 10_000),
});
export type DispatchConfig = z.infer<typeof DispatchEnv> & { HERALD_SECRETS_KEY: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Each tenant's share of the attempt slots, of an origin's connections and of a partition's
 * unfinished deliveries: as set, or the default fraction; never more than the whole.
 */
export function tenantShares(
  config: Pick<
    DispatchConfig,
    | 'HERALD_DISPATCH_MAX_IN_FLIGHT'
    | 'HERALD_DISPATCH_MAX_IN_FLIGHT_PER_TENANT'
    | 'HERALD_DISPATCH_CONNECTIONS_PER_ORIGIN'
    | 'HERALD_DISPATCH_CONNECTIONS_PER_ORIGIN_PER_TENANT'
    | 'HERALD_DISPATCH_MAX_PENDING_PER_PARTITION'
    | 'HERALD_DISPATCH_MAX_PENDING_PER_PARTITION_PER_TENANT'
    | 'HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION'
    | 'HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION_PER_TENANT'
  >,
) {
  const slots = config.HERALD_DISPATCH_MAX_IN_FLIGHT;
  const sockets = config.HERALD_DISPATCH_CONNECTIONS_PER_ORIGIN;
  const pending = config.HERALD_DISPATCH_MAX_PENDING_PER_PARTITION;
  const pendingBytes = config.HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION;
  return {
    maxInFlightPerTenant: Math.min(slots, config.HERALD_DISPATCH_MAX_IN_FLIGHT_PER_TENANT ?? Math.ceil(slots / 4)),
    connectionsPerOriginPerTenant: Math.min(sockets, config.HERALD_DISPATCH_CONNECTIONS_PER_ORIGIN_PER_TENANT ?? Math.ceil((sockets * 3) / 4)),
    pendingPerPartitionPerTenant: Math.min(pending, config.HERALD_DISPATCH_MAX_PENDING_PER_PARTITION_PER_TENANT ?? Math.ceil(pending / 4)),
    pendingBytesPerPartitionPerTenant: Math.min(pendingBytes, config.HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION_PER_TENANT ?? Math.ceil(pendingBytes / 4)),
  };
}

/**
 * When a partition paused as full resumes: once one tenant's whole hold fits again (the bound
 * less a tenant's hold), and at half the bound at the latest. At half, three tenants each within
 * a quarter hold whose attempts do not end (hanging receivers) held it above the mark, and it
 * stayed paused for every other tenant until their timeouts.
 */
export function resumeBounds(
  shares: Pick<ReturnType<typeof tenantShares>, 'pendingPerPartitionPerTenant' | 'pendingBytesPerPartitionPerTenant'>,
  config: Pick<DispatchConfig, 'HERALD_DISPATCH_MAX_PENDING_PER_PARTITION' | 'HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION'>,
): PendingBounds {
  const pending = config.HERALD_DISPATCH_MAX_PENDING_PER_PARTITION;
  const bytes = config.HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION;
  return {
    maxPending: Math.max(pending / 2, pending - shares.pendingPerPartitionPerTenant),
    maxPendingBytes: Math.max(bytes / 2, bytes - shares.pendingBytesPerPartitionPerTenant),
  };
}

/**
 * Wires and runs the dispatcher: the subscriptions view, the engine and one consumer of the
 * deliveries topic and every retry tier, in one group whose partitions are co-partitioned
 * (partition p of each topic is one member's: a hook's deliveries and its retries are one
 * process's, so an ordered hook's pipe is too). Start order: topics exist → view caught up →
 * consumer; each partition it is given waits until the ordered pipes parked in its tiers are
 * rebuilt (`OrderedPipeRebuilder`, at start and after every rebalance). Shutdown: stop
 * fetching, let running attempts finish (bounded), write their results, commit, leave the group.
 */
@Injectable()
export class DispatcherService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Dispatcher');
  readonly view: CompactedTopicView<SubscriptionSnapshot, DispatchSnapshot>;
  readonly directory: EndpointDirectory;
  readonly engine: DeliveryEngine;
  readonly metrics: DispatchMetrics;
  private readonly batcher: OutboundBatcher;
  private readonly consumers: TrackedConsumer[];
  private readonly rebuilder: OrderedPipeRebuilder;
  private readonly lagMonitor: LagMonitor;
  /** This process's stalls (a loaded host): receivers' attempt times are judged net of them. */
  private readonly stalls = new LoopStalls().start();
  private started = false;
  /** Ordered hooks found paused in the tiers of the partitions assigned here (the pipe rebuilds). */
  get rebuiltPipes(): number {
    return this.rebuilder.rebuilt;
  }
  private stopping = false;
  private starting?: Promise<void>;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly topics: TopicAdmin,
    producer: HeraldProducer,
    sender: WebhookSender,
    registry: MetricsRegistry,
    @InjectConfig() private readonly config: DispatchConfig,
  ) {
    this.metrics = dispatchMetrics(registry);
    const shares = tenantShares(config);
    this.view = new CompactedTopicView(deps, SubscriptionSnapshotContract, Topics.Subscriptions, 'dispatcher-subscriptions', (a, b) => a.version >= b.version, dispatchSnapshot);
    this.directory = new EndpointDirectory(this.view, SecretBox.fromSpec(config.HERALD_SECRETS_KEY));
    this.batcher = new OutboundBatcher(producer, {
      lingerMs: config.HERALD_DISPATCH_PRODUCE_LINGER_MS,
      maxBatch: 500,
      onFailure: 'retry',
      // A message the broker refuses on its own (too large) goes to the DLQ alone; the rest flows.
      deadLetters: { writer: deps.deadLetters, topicFor: () => Topics.DeliveriesDlq },
      onDeadLettered: (topic, message, reason) => this.engine.refusedByBroker(topic, message, reason),
    });
    this.engine = new DeliveryEngine(this.directory, sender, this.batcher, deps.deadLetters, this.metrics, {
      ...DEFAULT_DISPATCH_SETTINGS,
      maxInFlight: config.HERALD_DISPATCH_MAX_IN_FLIGHT,
      maxInFlightPerSubscription: config.HERALD_DISPATCH_MAX_IN_FLIGHT_PER_SUBSCRIPTION,
      ...shares,
      laneQueueFloor: config.HERALD_DISPATCH_LANE_QUEUE_FLOOR,
      laneMaxWaitMs: config.HERALD_DISPATCH_LANE_MAX_WAIT_MS,
    }, this.stalls);
    this.rebuilder = new OrderedPipeRebuilder(deps, this.directory, this.engine);
    this.consumers = [
      new TrackedConsumer(
        deps,
        {
          name: 'deliveries',
          topics: [Topics.Deliveries, ...RetryTierTopics],
          groupId: ConsumerGroups.DeliveryDispatcher,
          maxPendingPerPartition: config.HERALD_DISPATCH_MAX_PENDING_PER_PARTITION,
          maxPendingBytesPerPartition: config.HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION,
          resumeAt: resumeBounds(shares, config),
          // A tier's partition waits until its head is released; the deliveries topic's are handed over at once.
          releaseAt: tierReleaseAt,
          coPartitioned: true,
          maxWaitMs: config.HERALD_DISPATCH_FETCH_MAX_WAIT_MS,
          // Consumer lag (alerts, the HPA) is the deliveries topic's; retries waiting in a tier are herald_retry_tier_depth.
          reportsLag: (t) => retryTierDelayMs(t) === undefined,
          onAssigned: this.rebuilder.prepare,
          onRevoked: this.rebuilder.revoked,
        },
        this.engine.accept,
      ),
    ];
    this.lagMonitor = new LagMonitor(deps, this.metrics);
    deps.readiness.register({
      name: 'dispatcher',
      check: async () => {
        if (!this.started) throw new Error('starting: waiting for the subscriptions view');
      },
    });
  }

  get isStarted(): boolean {
    return this.started;
  }

  onApplicationBootstrap(): void {
    // In the background: a broker that is down at start must not stop the process (it stays not ready).
    this.starting = this.start().catch((e: Error) => this.logger.error(`start failed: ${e.stack ?? e.message}`));
  }

  /** Resolves once every consumer runs (tests wait for it). */
  async whenStarted(): Promise<void> {
    while (!this.started) {
      if (this.stopping) throw new Error('stopped before it started');
      await sleep(50);
    }
  }

  private async start(): Promise<void> {
    await this.step('create topics', () =>
      this.topics.ensureTopics([Topics.Subscriptions, Topics.Deliveries, ...RetryTierTopics, Topics.DeliveriesDlq, Topics.DeliveryOutcomes]),
    );
    await this.step('load subscriptions', () => this.view.start());
    await this.view.caughtUp;
    if (this.stopping) return;
    await Promise.all(this.consumers.map((c) => c.start()));
    this.lagMonitor.start();
    this.started = true;
    this.logger.log(`dispatching: ${this.view.size} subscriptions`);
  }

  /** Retries a start-up step (the broker may be down or still electing leaders) until it works or we stop. */
  private step<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    return retryWithBackoff(fn, {
      stopped: () => this.stopping,
      onError: (e) => this.logger.warn(`${what} failed, retrying: ${e.message}`),
      firstDelayMs: 300,
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.lagMonitor.stop();
    for (const c of this.consumers) c.stopFetching();
    const drained = await this.engine.drain(this.config.HERALD_DISPATCH_SHUTDOWN_GRACE_MS);
    if (!drained) this.logger.warn(`${this.engine.attemptsInFlight} attempts still in flight at the end of the grace period: handed back`);
    await this.batcher.flush();
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.batcher.close();
    await this.starting?.catch(() => undefined);
    await this.view.stop();
    this.stalls.stop();
  }
}
