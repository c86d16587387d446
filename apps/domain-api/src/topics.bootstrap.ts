import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Topics } from '@herald/contracts';
import { TopicAdmin } from '@herald/platform/kafka';

/**
 * Creates the topics the domain-api writes (principals, resource changes) at start. Kafka may be
 * down when the service starts: it keeps trying in the background instead of exiting.
 */
@Injectable()
export class TopicsBootstrap implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TopicsBootstrap');
  private stopped = false;
  /** Resolves once the topics exist. */
  ready: Promise<void> = Promise.resolve();

  constructor(private readonly admin: TopicAdmin) {}

  onApplicationBootstrap(): void {
    this.ready = this.ensure();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }

  private async ensure(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.admin.ensureTopics([Topics.Principals, Topics.ResourceChanges, Topics.ResourceChangesDlq]);
        return;
      } catch (e) {
        this.logger.warn(`could not ensure topics (attempt ${attempt}): ${e instanceof Error ? e.message : String(e)}`);
        await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** attempt)).unref());
      }
    }
  }
}
