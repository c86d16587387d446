import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PrincipalPublisher, publishAcknowledged, type PrincipalChangeListener } from '@herald/domain/tenancy';
import { InjectConfig } from '@herald/platform/config';
import { HeraldProducer } from '@herald/platform/kafka';
import { MetricsRegistry } from '@herald/platform/observability';
import type { DomainApiConfig } from '../config';
import { KafkaPrincipalSink } from './kafka-principal-sink';

/** How long a revocation waits for Kafka's acknowledgement before answering 503. */
const ACK_WAIT_MS = 10_000;

/**
 * Publishes principals after each commit that changed them, and republishes whatever Kafka has
 * not acknowledged yet at start-up and every HERALD_PRINCIPALS_REPUBLISH_MS (a crash or a Kafka
 * outage between commit and publish only delays a snapshot, never loses it).
 */
@Injectable()
export class PrincipalPublishing implements PrincipalChangeListener, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PrincipalPublishing');
  private readonly publisher: PrincipalPublisher;
  private timer?: NodeJS.Timeout;
  private last: Promise<unknown> = Promise.resolve();
  private readonly published;
  private readonly failures;

  constructor(
    ds: DataSource,
    producer: HeraldProducer,
    metrics: MetricsRegistry,
    @InjectConfig() private readonly config: DomainApiConfig,
  ) {
    this.publisher = new PrincipalPublisher(ds, new KafkaPrincipalSink(producer));
    this.published = metrics.counter({ name: 'herald_principals_published_total', help: 'Principal snapshots acknowledged by Kafka' });
    this.failures = metrics.counter({ name: 'herald_principals_publish_failures_total', help: 'Failed principal publish runs (retried)' });
  }

  principalsChanged(): void {
    void this.publishNow();
  }

  /** Publishes what is pending; resolves when done or failed (failures are retried by the timer). */
  publishNow(): Promise<void> {
    const run = this.publisher.publishPending().then(
      (n) => {
        if (n) this.published.inc(n);
      },
      (e: unknown) => {
        this.failures.inc();
        this.logger.warn(`principal publish failed, will retry: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
    this.last = run;
    return run;
  }

  /** Resolves once Kafka acknowledged what was committed before the call; a NotAcknowledgedError (503) after 10 s. */
  async principalsAcknowledged(): Promise<void> {
    const run = publishAcknowledged(this.publisher, ACK_WAIT_MS);
    this.last = run.catch(() => undefined);
    await run.catch((e: unknown) => {
      this.failures.inc();
      throw e;
    });
  }

  /** Waits for the pending publish at most `ms` (an API call should not hang on a Kafka outage). */
  async publishWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.publishNow(), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  onApplicationBootstrap(): void {
    void this.publishNow();
    this.timer = setInterval(() => void this.publishNow(), this.config.HERALD_PRINCIPALS_REPUBLISH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // A publish in flight gets a moment to finish; what it does not finish stays dirty in the
    // database and is published by the next start (shutdown must not wait on a Kafka outage).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.last, new Promise<void>((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
  }
}
