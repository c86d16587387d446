import { Injectable, Logger } from '@nestjs/common';
import type { Admin, ITopicConfig } from 'kafkajs';
import type { TopicSpec } from '@herald/contracts';
import { KafkaClient } from './kafka-client';

/**
 * What a broker answers about a topic between its creation and its leaders' election. kafkajs'
 * own `waitForLeaders` waits out only LEADER_NOT_AVAILABLE; a KRaft broker that has not applied
 * the new topic's metadata yet answers UNKNOWN_TOPIC_OR_PARTITION, and kafkajs then throws
 * (CI on 7 Dec: the two-registries e2e failed in `beforeAll` on a loaded host).
 */
const NOT_SERVED_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);
/** A partition's error code when it has a leader but a replica is down: it is served all the same. */
const REPLICA_NOT_AVAILABLE = 9;

const errorType = (e: unknown): string | undefined => {
  const err = e as { type?: string; cause?: { type?: string } };
  return err.type ?? err.cause?.type;
};

const alreadyExists = (e: unknown): boolean =>
  errorType(e) === 'TOPIC_ALREADY_EXISTS' ||
  ((e as { errors?: { type?: string }[] }).errors?.every(
    (x) => x.type === 'TOPIC_ALREADY_EXISTS',
  ) ??
    false);

export interface CreateTopicsOptions {
  /** How long the partitions may take to get a leader (ms; default 30 s). */
  timeoutMs?: number;
  /** The wait between two metadata requests (ms; default 100). */
  pollMs?: number;
}

/**
 * Creates `topics` (one that exists already is fine: two services starting together race to
 * create it) and resolves once every partition of every one has a leader.
 */
export async function createTopicsWithLeaders(
  admin: Admin,
  topics: ITopicConfig[],
  opts: CreateTopicsOptions = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  try {
    // waitForLeaders off: kafkajs' wait throws on UNKNOWN_TOPIC_OR_PARTITION (above); the loop
    // below waits for leaders itself (CI at c95c291: `tenant:create` warned "principals not
    // published yet (This server does not host this topic-partition)" on a fresh broker).
    await admin.createTopics({ topics, timeout: timeoutMs, waitForLeaders: false });
  } catch (e) {
    if (!alreadyExists(e)) throw e;
  }
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: names });
      const leaderless = found.filter(
        (t) =>
          t.partitions.length === 0 ||
          t.partitions.some((p) => p.leader < 0 || (p.partitionErrorCode !== 0 && p.partitionErrorCode !== REPLICA_NOT_AVAILABLE)),
      );
      if (found.length === names.length && leaderless.length === 0) return;
      last = `no leader yet for ${leaderless.map((t) => t.name).join(', ') || 'some topics'}`;
    } catch (e) {
      const type = errorType(e);
      if (!type || !NOT_SERVED_YET.has(type)) throw e;
      last = type;
    }
    if (Date.now() >= deadline)
      throw new Error(`topics ${names.join(', ')} have no leader after ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
  }
}

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
    await createTopicsWithLeaders(
      admin,
      missing.map((s) => ({
        topic: this.client.topic(s),
        numPartitions: partitionsOverride ?? s.partitions,
        configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
      })),
    );
    this.logger.log(`created topics: ${missing.map((s) => this.client.topic(s)).join(', ')}`);
  }
}
