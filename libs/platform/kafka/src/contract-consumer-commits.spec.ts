import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { ResourceChangeContract, Topics, type ResourceChange } from '@herald/contracts';
import { MetricsRegistry, ReadinessRegistry } from '@herald/platform/observability';
import { resourceChangeFixture } from '@herald/platform/testing';
import { ConsumerDeps, ContractConsumer, DeadLetterWriter, HeraldProducer, KafkaClient, type ConsumedItem } from './index';

/*
 * How a consumer that commits after every handled part (the router) commits when several
 * partitions are handled at once: kafkajs' commitOffsetsIfNecessary sends one OffsetCommit with
 * every offset the member resolved, so the parts that finish while one commit is in flight share
 * the next one. By sequence (which calls were made while what was in flight), on kafkajs' own
 * eachBatch payload shape; the real broker's side is contract-consumer-progress.int-spec.ts.
 */

const change = (i: number): ResourceChange => resourceChangeFixture({ resourceId: `r${i}` });

class PerPartConsumer extends ContractConsumer<ResourceChange> {
  protected readonly contract = ResourceChangeContract;
  protected readonly topics = [Topics.ResourceChanges];
  protected readonly groupId = 'commits-spec';
  protected override readonly commitEveryBatch = true;
  readonly handled: string[] = [];

  protected override async handleBatch(items: ConsumedItem<ResourceChange>[]): Promise<void> {
    for (const i of items) this.handled.push(i.value!.resourceId);
  }

  eachBatchOf(payload: EachBatchPayload): Promise<void> {
    return (this as unknown as { eachBatch(p: EachBatchPayload): Promise<void> }).eachBatch(payload);
  }
}

/** A member's offsets as kafkajs keeps them: resolved, and committed by each OffsetCommit. */
class Member {
  readonly events: string[] = [];
  readonly resolved = new Map<number, string>();
  readonly committed = new Map<number, string>();
  private inFlight = 0;
  maxInFlight = 0;
  private gates: (() => void)[] = [];

  /** kafkajs' commitOffsetsIfNecessary with threshold 1: one request with every uncommitted resolved offset. */
  readonly commit = async (): Promise<void> => {
    const offsets = [...this.resolved].filter(([p, o]) => this.committed.get(p) !== o);
    if (offsets.length === 0) return;
    this.events.push(`commit ${offsets.map(([p]) => p).join(',')}`);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((r) => this.gates.push(r));
    for (const [p, o] of offsets) this.committed.set(p, o);
    this.inFlight--;
  };

  /** Lets the commits in flight finish. */
  release(): void {
    const gates = this.gates;
    this.gates = [];
    gates.forEach((g) => g());
  }

  payload(partition: number, message: KafkaMessage): EachBatchPayload {
    return {
      batch: { topic: 'changes', partition, messages: [message], offsetLag: () => '0' },
      resolveOffset: (offset: string) => {
        this.events.push(`resolve ${partition}`);
        this.resolved.set(partition, offset);
      },
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
      commitOffsetsIfNecessary: this.commit,
    } as unknown as EachBatchPayload;
  }
}

const message = (i: number): KafkaMessage =>
  ({
    key: Buffer.from(`k${i}`),
    value: Buffer.from(JSON.stringify(change(i))),
    headers: { 'herald-schema': Buffer.from('resource-change/1') },
    offset: String(i),
    timestamp: String(Date.now()),
    attributes: 0,
  }) as KafkaMessage;

const flush = () => new Promise((r) => setImmediate(r));

describe('ContractConsumer commits of partitions handled at once', () => {
  const client = new KafkaClient({ clientId: 'commits-spec', brokers: ['127.0.0.1:1'] });
  const deps = () => new ConsumerDeps(client, new DeadLetterWriter(new HeraldProducer(client)), new ReadinessRegistry(), new MetricsRegistry('commits-spec'));

  it('sends one OffsetCommit at a time; the parts done meanwhile share the next, which carries all their offsets', async () => {
    const consumer = new PerPartConsumer(deps());
    const member = new Member();
    const partitions = Array.from({ length: 12 }, (_, p) => p);
    const done = Promise.all(partitions.map((p) => consumer.eachBatchOf(member.payload(p, message(p)))));
    for (let i = 0; i < 5; i++) await flush();
    // Every part is handled and resolved; the first commit is in flight, the rest wait for the next.
    expect(consumer.handled).toHaveLength(12);
    expect(member.resolved.size).toBe(12);
    expect(member.events.filter((e) => e.startsWith('commit'))).toHaveLength(1);
    for (let i = 0; i < 5 && member.committed.size < 12; i++) {
      member.release();
      for (let j = 0; j < 5; j++) await flush();
    }
    member.release();
    await done;
    const commits = member.events.filter((e) => e.startsWith('commit'));
    expect(member.maxInFlight).toBe(1);
    // One per partition part before; now the first and one more carrying every other partition.
    expect(commits.length).toBeLessThanOrEqual(2);
    expect([...member.committed.keys()].sort((a, b) => a - b)).toEqual(partitions);
  });

  it('a part done while a commit is in flight is not told it is committed until a commit that carries it ends', async () => {
    const consumer = new PerPartConsumer(deps());
    const member = new Member();
    const first = consumer.eachBatchOf(member.payload(0, message(0)));
    for (let i = 0; i < 5; i++) await flush();
    expect(member.events).toEqual(['resolve 0', 'commit 0']);
    let secondDone = false;
    const second = consumer.eachBatchOf(member.payload(1, message(1))).then(() => (secondDone = true));
    for (let i = 0; i < 5; i++) await flush();
    expect(member.events).toEqual(['resolve 0', 'commit 0', 'resolve 1']);
    member.release(); // the commit of partition 0 ends; partition 1's part is not in it
    for (let i = 0; i < 5; i++) await flush();
    expect(secondDone).toBe(false);
    expect(member.events).toEqual(['resolve 0', 'commit 0', 'resolve 1', 'commit 1']);
    member.release();
    await Promise.all([first, second]);
    expect(member.committed.get(1)).toBe('1');
  });
});
