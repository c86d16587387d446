import {
  KafkaJSProtocolError,
  type Admin,
  type ITopicConfig,
  type PartitionMetadata,
} from 'kafkajs';
import { createTopicsWithLeaders } from './topic-admin';

/** The error kafkajs makes of a broker's error code. */
const protocolError = (type: string, code: number, message: string) =>
  new KafkaJSProtocolError({ name: 'KafkaJSProtocolError', message, type, code } as unknown as Error);
const unknownTopic = () => protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3, 'This server does not host this topic-partition');
const partition = (partitionId: number, leader: number, partitionErrorCode = 0): PartitionMetadata => ({
  partitionId,
  leader,
  partitionErrorCode,
  replicas: [1],
  isr: [1],
});

/** An admin whose metadata answers follow `script` (an error to throw, or each topic's partition leaders), then the last answer for ever. */
function scriptedAdmin(script: (Error | number[])[], createError?: Error, partitionErrorCode = 0) {
  const calls = { create: [] as ITopicConfig[][], metadata: 0 };
  const admin = {
    createTopics: async ({ topics, waitForLeaders = true }: { topics: ITopicConfig[]; waitForLeaders?: boolean }) => {
      calls.create.push(topics);
      if (createError) throw createError;
      // kafkajs' own wait (admin/index.js) retries LEADER_NOT_AVAILABLE only: any other error of
      // the broker's metadata answer is thrown out of createTopics.
      if (waitForLeaders) {
        for (;;) {
          const answer = script[Math.min(calls.metadata++, script.length - 1)];
          if (!(answer instanceof Error)) break;
          if ((answer as { type?: string }).type !== 'LEADER_NOT_AVAILABLE') throw answer;
        }
      }
      return true;
    },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      const answer = script[Math.min(calls.metadata++, script.length - 1)];
      if (answer instanceof Error) throw answer;
      return {
        topics: topics.map((name) => ({
          name,
          partitions: answer.map((leader, i) => partition(i, leader, partitionErrorCode)),
        })),
      };
    },
  };
  return { admin: admin as unknown as Admin, calls };
}

const TOPICS: ITopicConfig[] = [
  { topic: 'a', numPartitions: 2 },
  { topic: 'b', numPartitions: 2 },
];

describe('createTopicsWithLeaders', () => {
  it('waits out a broker that does not serve the new topic yet, then one without leaders, and resolves once every partition has one', async () => {
    // The answers a loaded KRaft broker gave right after CreateTopics (CI, 7 Dec): kafkajs' own waitForLeaders threw on the first.
    const { admin, calls } = scriptedAdmin([unknownTopic(), unknownTopic(), [-1, 1], [1, 1]]);
    await createTopicsWithLeaders(admin, TOPICS, { pollMs: 1 });
    expect(calls.create).toEqual([TOPICS]);
    expect(calls.metadata).toBe(4);
  });

  it('is fine with topics another process created first', async () => {
    const exists = protocolError('TOPIC_ALREADY_EXISTS', 36, 'Topic with this name already exists');
    const { admin, calls } = scriptedAdmin(
      [[1, 1]],
      Object.assign(new Error('aggregate'), { errors: [exists, exists] }),
    );
    await expect(createTopicsWithLeaders(admin, TOPICS, { pollMs: 1 })).resolves.toBeUndefined();
    expect(calls.metadata).toBe(1);
  });

  it('passes on any other error at once, from the creation or from the metadata', async () => {
    const denied = protocolError('TOPIC_AUTHORIZATION_FAILED', 29, 'denied');
    await expect(
      createTopicsWithLeaders(scriptedAdmin([[1, 1]], denied).admin, TOPICS),
    ).rejects.toBe(denied);
    const { admin, calls } = scriptedAdmin([denied]);
    await expect(createTopicsWithLeaders(admin, TOPICS, { pollMs: 1 })).rejects.toBe(denied);
    expect(calls.metadata).toBe(1);
  });

  it('takes a partition with a leader but a replica not available (code 9, a broker of a cluster down) as served', async () => {
    const { admin, calls } = scriptedAdmin([[1, 2]], undefined, 9);
    await expect(createTopicsWithLeaders(admin, TOPICS, { timeoutMs: 50, pollMs: 5 })).resolves.toBeUndefined();
    expect(calls.metadata).toBe(1);
  });

  it('gives up after its timeout, saying which topics have no leader', async () => {
    const { admin } = scriptedAdmin([[1, -1]]);
    await expect(
      createTopicsWithLeaders(admin, TOPICS, { timeoutMs: 50, pollMs: 5 }),
    ).rejects.toThrow(/topics a, b have no leader after 50 ms \(no leader yet for a, b\)/);
  });
});
