import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Topics } from '@herald/contracts';
import { TopicAdmin } from '@herald/platform/kafka';
import { PrincipalsView } from '@herald/registry/principals';

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
 * Creates the registry's topics at start, then starts the principals view. Kafka may be down
 * when the service starts: it keeps trying in the background (not ready meanwhile) instead of
 * exiting.
 */
@Injectable()
export class RegistryTopicsBootstrap implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RegistryTopicsBootstrap');
  private stopped = false;
  /** Resolves once the topics exist and the principals view follows its topic. */
  ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly admin: TopicAdmin,
    private readonly principals: PrincipalsView,
  ) {}

  onApplicationBootstrap(): void {
    this.ready = this.run();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.admin.ensureTopics(REGISTRY_TOPICS);
        break;
      } catch (e) {
        this.logger.warn(`could not ensure topics (attempt ${attempt}): ${e instanceof Error ? e.message : String(e)}`);
        await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** attempt)).unref());
      }
    }
    if (!this.stopped) await this.principals.start();
  }
}
