import { Injectable, Logger } from '@nestjs/common';
import type { TopicSpec } from '@herald/contracts';
import { KafkaClient } from './kafka-client';

/** Creates the topics a service needs at start-up, with the contracts' partitions and configs. */
@Injectable()
export class TopicAdmin {
  private readonly logger = new Logger('TopicAdmin');

  constructor(private readonly client: KafkaClient) {}

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = await this.client.admin();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(this.client.topic(s)));
    if (missing.length === 0) return;
    const partitionsOverride = this.client.settings.partitionsOverride;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: this.client.topic(s),
          numPartitions: partitionsOverride ?? s.partitions,
          configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (e) {
      // Two services starting together race to create the same topic: the loser is fine.
      const already = (e as { type?: string; errors?: { type?: string }[] }).errors?.every(
        (x) => x.type === 'TOPIC_ALREADY_EXISTS',
      );
      if (!already && (e as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw e;
    }
    this.logger.log(`created topics: ${missing.map((s) => this.client.topic(s)).join(', ')}`);
  }
}
