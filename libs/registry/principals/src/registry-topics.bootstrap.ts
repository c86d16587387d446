import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Topics } from '@herald/contracts';
import { TopicAdmin } from '@herald/platform/kafka';
import { PrincipalsView } from './principals-view';

/** Every topic the registry reads or writes. */
export const REGISTRY_TOPICS = [
  Topics.Subscriptions,
  Topics.Principals,
  Topics.DeliveryOutcomes,
  Topics.Deliveries,
  Topics.DeliveriesDlq,
  Topics.ResourceChanges,
  Topics.ResourceChangesDlq,
];

/**
 * Creates the registry's topics at start, then starts the principals view. The topics are
 * awaited (for a few seconds at most) during module init, so the consumers that start at
 * bootstrap find them; Kafka may be down when the service starts: then it keeps trying in the
 * background (not ready meanwhile) instead of exiting.
 */
@Injectable()
export class RegistryTopicsBootstrap implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RegistryTopicsBootstrap');
  private stopped = false;
  private topics: Promise<void> = Promise.resolve();
  /** Resolves once the topics exist and the principals view follows its topic. */
  ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly admin: TopicAdmin,
    private readonly principals: PrincipalsView,
  ) {}

  async onModuleInit(): Promise<void> {
    this.topics = this.ensureTopics();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.topics, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    if (timer) clearTimeout(timer);
  }

  onApplicationBootstrap(): void {
    this.ready = this.topics.then(() => (this.stopped ? undefined : this.principals.start()));
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }

  private async ensureTopics(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.admin.ensureTopics(REGISTRY_TOPICS);
        return;
      } catch (e) {
        this.logger.warn(`could not ensure topics (attempt ${attempt}): ${e instanceof Error ? e.message : String(e)}`);
        await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** attempt)).unref());
      }
    }
  }
}
