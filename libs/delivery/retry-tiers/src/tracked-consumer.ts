import { Logger } from '@nestjs/common';
import { PartitionAssigners, type Consumer, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import type { Counter } from 'prom-client';
import type { TopicSpec } from '@herald/contracts';
import { retryWithBackoff, type ConsumerDeps } from '@herald/platform/kafka';
import { PartitionLedger, decodeFinished } from './partition-ledger';
import { coPartitionedAssigner } from './co-partitioned-assigner';

export interface TrackedMessage {
  /** The logical topic the message came from (main topic or a tier). */
  topic: TopicSpec;
  partition: number;
  offset: string;
  message: KafkaMessage;
}

/**
 * Takes a message and resolves when it is finished (delivered, moved to a tier, dead-lettered
 * or discarded — anything after which it may be committed). It must not block: the consumer
 * hands messages over without waiting, that is what lets one partition feed many receivers.
 */
export type TrackedHandler = (m: TrackedMessage) => Promise<void>;

export interface TrackedConsumerOptions {
  /** For logs, readiness and metrics. */
  name: string;
  topics: readonly TopicSpec[];
  /** A `ConsumerGroups` id (the namespace is applied here). */
  groupId: string;
  /** Unfinished messages a partition may hold before it is paused (backpressure). */
  maxPendingPerPartition: number;
  /**
   * Bytes (keys and values) of unfinished messages a partition may hold before it is paused, as
   * well as the count (default: no byte bound). A partition always takes at least one message,
   * however large.
   */
  maxPendingBytesPerPartition?: number;
  /**
   * A partition paused as full is resumed once it holds at most this many unfinished messages
   * and bytes (default: half of each bound). A handler that bounds what each of its tenants may
   * hold on a partition sets it to the bound less one tenant's hold, so that the tenants whose
   * work does not end cannot keep the partition paused for the others below half of it.
   */
  resumeAt?: Partial<PendingBounds>;
  /** Retry tiers: a message is handed over at this epoch-ms time (null: now). */
  releaseAt?: (topic: TopicSpec, message: KafkaMessage) => number | null;
  commitIntervalMs?: number;
  /**
   * How long a fetch waits on the broker for data (default 200 ms). It bounds how late a
   * partition resumed meanwhile (backpressure, a tier's due time) is fetched again, and sets the
   * idle cost: one fetch per consumer per wait.
   */
  maxWaitMs?: number;
  /**
   * Partition p of every topic to the same member (`coPartitionedAssigner`; the topics have the
   * same partition count). The round-robin assigner stays a fallback while members that do not
   * know it are in the group (a rolling upgrade).
   */
  coPartitioned?: boolean;
  /**
   * Called after each rebalance with the partitions this member got and lost; the ones it got
   * stay paused until it resolves (retried while it throws), so the handler can prepare for
   * them (the dispatcher rebuilds its ordered hooks' pipes) before any of their messages is
   * handed over. Calls are serialised.
   */
  onAssigned?: (change: AssignmentChange) => Promise<void>;
  /** Whether `herald_consumer_lag` is reported for a topic (default: every one; a retry tier's waiting retries are not lag). */
  reportsLag?: (topic: TopicSpec) => boolean;
  /** Called at once (before `onAssigned`) with the partitions a rebalance took from this member. */
  onRevoked?: (revoked: TopicPartition[]) => void;
  /** The group session timeout: how long a crashed member holds its partitions (default 30 s). */
  sessionTimeoutMs?: number;
}

export interface TopicPartition {
  topic: TopicSpec;
  partition: number;
}

export interface AssignmentChange {
  added: TopicPartition[];
  /** Seeks a partition got in this change to `offset` before it is read (its committed offset otherwise). */
  seek(tp: TopicPartition, offset: string): void;
  /**
   * The offsets of a partition got in this change that its previous owner finished above the
   * committed offset (read from its commit's metadata): this member will not hand them over.
   */
  finishedBefore(tp: TopicPartition): Promise<ReadonlySet<bigint>>;
}

type PauseReason = 'full' | 'due' | 'stopping' | 'assigning';

/** What one partition may hold unfinished. */
export interface PendingBounds {
  maxPending: number;
  maxPendingBytes: number;
}

/** When a partition paused as full is resumed: at most these held (default: half of each bound). */
export interface ResumeBounds extends PendingBounds {
  resumePending?: number;
  resumeBytes?: number;
}

/** What a fetched message holds while it is unfinished: its key and value. */
export function messageBytes(message: Pick<KafkaMessage, 'key' | 'value'>): number {
  return (message.key?.length ?? 0) + (message.value?.length ?? 0);
}

/** A partition holding this much is paused: either bound reached. */
export function isFull(held: Pick<PartitionLedger, 'pending' | 'pendingBytes'>, bounds: PendingBounds): boolean {
  return held.pending >= bounds.maxPending || held.pendingBytes >= bounds.maxPendingBytes;
}

/** A partition paused as full is resumed once it holds at most its resume bounds (half of both by default). */
export function hasRoom(held: Pick<PartitionLedger, 'pending' | 'pendingBytes'>, bounds: ResumeBounds): boolean {
  return (
    held.pending <= (bounds.resumePending ?? bounds.maxPending / 2) &&
    held.pendingBytes <= (bounds.resumeBytes ?? bounds.maxPendingBytes / 2)
  );
}

/**
 * A kafkajs consumer-group member with per-message offset control (the platform's
 * `ContractConsumer` handles a partition sequentially, which would let one slow receiver hold
 * back every other receiver on its partition):
 * - each fetched message is handed to the handler at once and its offset resolved for fetching
 *   (`eachBatchAutoResolve: false`, `autoCommit: false`), so the partition keeps flowing while
 *   earlier messages are still in flight;
 * - a `PartitionLedger` per partition commits only up to the lowest message not yet finished,
 *   so a crash re-delivers whatever was in flight (at least once, never lost); the messages
 *   already finished above that offset are written in the commit's metadata, and a member that
 *   is assigned the partition (after a crash or a rebalance) reads them back and finishes them
 *   without handing them out again — a crash re-delivers what was unfinished, not everything
 *   behind the slowest message;
 * - backpressure: a partition holding `maxPendingPerPartition` unfinished messages, or
 *   `maxPendingBytesPerPartition` bytes of them, is paused and resumed when it holds at most
 *   `resumeAt` (half of both by default); what a partition holds is its messages' keys and
 *   values, decoded deliveries and bodies (the count alone let 1,000 large messages per partition in);
 * - retry tiers (`releaseAt`): at the first message not yet released the partition is paused and
 *   a timer resumes it at the release time; that message is left unresolved so it is fetched
 *   again. Other partitions and topics keep flowing — nothing sleeps inside the fetch loop.
 */
export class TrackedConsumer {
  private readonly logger: Logger;
  private consumer?: Consumer;
  private readonly ledgers = new Map<string, PartitionLedger>();
  private readonly pauses = new Map<string, Set<PauseReason>>();
  private readonly dueTimers = new Map<string, NodeJS.Timeout>();
  private readonly byWireName: Map<string, TopicSpec>;
  private commitTimer?: NodeJS.Timeout;
  private committing?: Promise<void>;
  private assigned: { topic: string; partitions: number[] }[] = [];
  private joined = false;
  private stopping = false;
  private lastError: string | null = null;
  private inFlight = 0;
  /** `onAssigned` calls, one after the other. */
  private assigning: Promise<void> = Promise.resolve();
  /** Per newly assigned partition: the offsets its previous owner finished above the committed one. */
  private readonly seeds = new Map<string, Promise<Set<bigint>>>();
  private readonly skipped: Counter<'group'>;
  private readonly bounds: ResumeBounds;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly opts: TrackedConsumerOptions,
    private readonly handler: TrackedHandler,
  ) {
    this.logger = new Logger(`Consumer:${opts.name}`);
    this.bounds = {
      maxPending: opts.maxPendingPerPartition,
      maxPendingBytes: opts.maxPendingBytesPerPartition ?? Number.POSITIVE_INFINITY,
      resumePending: opts.resumeAt?.maxPending,
      resumeBytes: opts.resumeAt?.maxPendingBytes,
    };
    this.byWireName = new Map(opts.topics.map((t) => [deps.client.topic(t), t]));
    this.skipped = deps.metrics.counter({
      name: 'herald_consumer_redelivery_skipped_total',
      help: 'Messages a previous owner of the partition had finished (recorded in its offset commit metadata): finished again without handling them',
      labelNames: ['group'],
    });
    deps.readiness.register({
      name: `consumer:${opts.name}`,
      check: async () => {
        if (this.lastError) throw new Error(this.lastError);
        if (!this.joined) throw new Error('not yet a member of its consumer group');
      },
    });
  }

  /** Unfinished messages across all partitions. */
  get pending(): number {
    return this.inFlight;
  }

  async start(): Promise<void> {
    await retryWithBackoff(() => this.run(), {
      stopped: () => this.stopping,
      onError: async (e) => {
        this.lastError = `start failed: ${e.message}`;
        this.logger.warn(this.lastError);
        await this.consumer?.disconnect().catch(() => undefined);
      },
    });
  }

  /** Stops taking new messages (graceful shutdown, step 1); in-flight ones still finish and commit. */
  stopFetching(): void {
    this.stopping = true;
    for (const t of this.dueTimers.values()) clearTimeout(t);
    this.dueTimers.clear();
    for (const { topic, partitions } of this.assigned) for (const p of partitions) this.pause(topic, p, 'stopping');
  }

  /** Commits what is finished and leaves the group; what is still unfinished is handed back (re-delivered to the next owner). */
  async stop(): Promise<void> {
    this.stopFetching();
    if (this.commitTimer) clearInterval(this.commitTimer);
    // Let the promise chains of just-finished messages reach their ledgers, and let a periodic
    // commit that is under way end: the final commit must include everything finished.
    await new Promise((r) => setImmediate(r));
    await this.committing?.catch(() => undefined);
    await this.commit().catch((e: Error) => this.logger.warn(`final commit failed: ${e.message}`));
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { client } = this.deps;
    const consumer = client.kafka.consumer({
      groupId: client.group(this.opts.groupId),
      allowAutoTopicCreation: false,
      sessionTimeout: this.opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: this.opts.maxWaitMs ?? 200,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
      ...(this.opts.coPartitioned ? { partitionAssigners: [coPartitionedAssigner(() => this.ownedPartitions()), PartitionAssigners.roundRobin] } : {}),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => this.onJoin(event.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload as { error: Error; restart: boolean };
      this.lastError = `crashed: ${error.message}`;
      this.logger.warn(`${this.lastError}${restart ? ' (kafkajs restarts it)' : ''}`);
      if (!restart && !this.stopping) {
        this.joined = false;
        void consumer.disconnect().finally(() => void this.start());
      }
    });
    await consumer.connect();
    for (const topic of this.opts.topics) await consumer.subscribe({ topic: client.topic(topic), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.commitTimer ??= setInterval(() => void this.commit().catch((e: Error) => this.logger.warn(`commit failed: ${e.message}`)), this.opts.commitIntervalMs ?? 250);
    this.commitTimer.unref();
  }

  /** Partition numbers this member holds now, of any topic (what it says it owns when it rejoins). */
  private ownedPartitions(): number[] {
    return [...new Set(this.assigned.flatMap(({ partitions }) => partitions))].sort((a, b) => a - b);
  }

  private onJoin(assignment: Record<string, number[]>): void {
    this.joined = true;
    this.lastError = null;
    const before = new Set(this.assigned.flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}:${p}`)));
    this.assigned = Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions }));
    const keep = new Set(this.assigned.flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}:${p}`)));
    // Revoked partitions: their in-flight messages still finish, but commit is the new owner's business.
    for (const key of [...this.ledgers.keys()]) if (!keep.has(key)) this.ledgers.delete(key);
    for (const key of [...this.seeds.keys()]) if (!keep.has(key) || this.ledgers.has(key)) this.seeds.delete(key);
    // Partitions new to this member: what their previous owner finished above its commit.
    for (const { topic, partitions } of this.assigned) {
      const fresh = partitions.filter((p) => !this.ledgers.has(`${topic}:${p}`));
      if (fresh.length === 0) continue;
      const loaded = this.finishedByPreviousOwner(topic);
      for (const p of fresh) this.seeds.set(`${topic}:${p}`, loaded.then((byPartition) => byPartition.get(p) ?? new Set()));
    }
    if (this.opts.onAssigned || this.opts.onRevoked) this.announce(before, keep);
    // A due-pause is re-established by the next fetch of the partition's head; a "full" one stays.
    for (const [key, timer] of this.dueTimers) {
      clearTimeout(timer);
      this.dueTimers.delete(key);
      const [topic, p] = splitKey(key);
      this.resume(topic, p, 'due');
    }
    for (const key of [...this.pauses.keys()]) {
      if (keep.has(key)) continue;
      // kafkajs keeps a paused partition paused across assignments: were it ours again, it would never be fetched.
      const [topic, p] = splitKey(key);
      this.pauses.delete(key);
      this.consumer?.resume([{ topic, partitions: [p] }]);
    }
  }

  /**
   * Tells `onAssigned` what this member got and lost; what it got stays paused (before the first
   * fetch of it: GROUP_JOIN comes first) until the handler is done.
   */
  private announce(before: Set<string>, now: Set<string>): void {
    const toTp = (key: string): TopicPartition | null => {
      const [topic, partition] = splitKey(key);
      const spec = this.byWireName.get(topic);
      return spec ? { topic: spec, partition } : null;
    };
    const addedKeys = [...now].filter((k) => !before.has(k));
    const added = addedKeys.map(toTp).filter((x): x is TopicPartition => x !== null);
    const revoked = [...before].filter((k) => !now.has(k)).map(toTp).filter((x): x is TopicPartition => x !== null);
    if (revoked.length > 0) this.opts.onRevoked?.(revoked);
    if (added.length === 0) return;
    for (const key of addedKeys) {
      const [topic, p] = splitKey(key);
      this.pause(topic, p, 'assigning');
    }
    const seek = (tp: TopicPartition, offset: string) => this.consumer?.seek({ topic: this.deps.client.topic(tp.topic), partition: tp.partition, offset });
    // The very set the ledger will skip (one read of the commit for both): whoever prepares for the partition must agree with it.
    const seeds = new Map(addedKeys.map((key) => [key, this.seeds.get(key)]));
    const finishedBefore = async (tp: TopicPartition): Promise<ReadonlySet<bigint>> =>
      (await seeds.get(`${this.deps.client.topic(tp.topic)}:${tp.partition}`)) ?? new Set<bigint>();
    const handler = this.opts.onAssigned;
    this.assigning = this.assigning.then(async () => {
      if (handler) {
        await retryWithBackoff(() => handler({ added, seek, finishedBefore }), {
          stopped: () => this.stopping,
          onError: (e) => {
            this.lastError = `preparing for partitions assigned failed, retrying: ${e.message}`;
            this.logger.warn(this.lastError);
          },
          firstDelayMs: 300,
        });
      }
      this.lastError = null;
      for (const key of addedKeys) {
        if (!now.has(key) || !this.currentKeys().has(key)) continue;
        const [topic, p] = splitKey(key);
        this.resume(topic, p, 'assigning');
      }
    });
  }

  private currentKeys(): Set<string> {
    return new Set(this.assigned.flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}:${p}`)));
  }

  private async eachBatch({ batch, resolveOffset, isRunning, isStale, heartbeat }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const spec = this.byWireName.get(topic);
    if (!spec) return;
    const key = `${topic}:${partition}`;
    if (this.opts.reportsLag?.(spec) ?? true) this.deps.lag.set({ group: this.opts.groupId, topic, partition: String(partition) }, Number(batch.offsetLag()));
    let ledger = this.ledgers.get(key);
    if (!ledger) {
      const done = (await this.seeds.get(key)) ?? new Set<bigint>();
      // A rebalance while the commit was read: the partition may not be this member's any more.
      if (!this.currentKeys().has(key)) return;
      this.seeds.delete(key);
      ledger = this.ledgers.get(key) ?? new PartitionLedger(done);
      this.ledgers.set(key, ledger);
    }

    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.stopping || this.isPaused(key)) break;
      if (ledger.skipIfDone(message.offset)) {
        // Finished by the partition's previous owner (a crash or rebalance came before its commit moved past it).
        this.skipped.inc({ group: this.opts.groupId });
        resolveOffset(message.offset);
        continue;
      }
      const due = this.opts.releaseAt?.(spec, message) ?? null;
      if (due !== null && due > Date.now()) {
        this.pauseUntil(topic, partition, due);
        break;
      }
      if (ledger.add(message.offset)) this.hand(spec, partition, message, ledger, key);
      resolveOffset(message.offset);
      if (isFull(ledger, this.bounds)) this.pause(topic, partition, 'full');
    }
    await heartbeat().catch(() => undefined);
  }

  private hand(spec: TopicSpec, partition: number, message: KafkaMessage, ledger: PartitionLedger, key: string): void {
    this.inFlight++;
    const bytes = messageBytes(message);
    // The closures below keep the offset, not the message: its buffers are slices of the whole fetched batch.
    const { offset } = message;
    ledger.hold(bytes);
    const finish = () => {
      this.inFlight--;
      ledger.release(bytes);
      ledger.finish(offset);
      if (hasRoom(ledger, this.bounds)) {
        const [topic, p] = splitKey(key);
        this.resume(topic, p, 'full');
      }
    };
    this.handler({ topic: spec, partition, offset: message.offset, message }).then(finish, (e: Error) => {
      // The handler retries its own Kafka writes; reaching here is a bug or shutdown. The message
      // stays unfinished, so the commit stops below it and a restart re-delivers it.
      this.inFlight--;
      ledger.release(bytes);
      this.lastError = `handler failed on ${spec.name}[${partition}]@${offset}: ${e.message}`;
      this.logger.error(this.lastError);
    });
  }

  private pauseUntil(topic: string, partition: number, dueAt: number): void {
    const key = `${topic}:${partition}`;
    this.pause(topic, partition, 'due');
    const existing = this.dueTimers.get(key);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.dueTimers.delete(key);
      this.resume(topic, partition, 'due');
    }, Math.max(1, dueAt - Date.now() + 2));
    timer.unref();
    this.dueTimers.set(key, timer);
  }

  private isPaused(key: string): boolean {
    return (this.pauses.get(key)?.size ?? 0) > 0;
  }

  private pause(topic: string, partition: number, reason: PauseReason): void {
    const key = `${topic}:${partition}`;
    let reasons = this.pauses.get(key);
    if (!reasons) this.pauses.set(key, (reasons = new Set()));
    const was = reasons.size > 0;
    reasons.add(reason);
    if (!was) this.consumer?.pause([{ topic, partitions: [partition] }]);
  }

  private resume(topic: string, partition: number, reason: PauseReason): void {
    const key = `${topic}:${partition}`;
    const reasons = this.pauses.get(key);
    if (!reasons?.delete(reason) || reasons.size > 0) return;
    this.consumer?.resume([{ topic, partitions: [partition] }]);
  }

  private async commit(): Promise<void> {
    if (this.committing) return this.committing;
    const offsets: { topic: string; partition: number; offset: string; metadata: string }[] = [];
    const marks: (() => void)[] = [];
    for (const [key, ledger] of this.ledgers) {
      const next = ledger.nextCommit();
      if (next === null) continue;
      const [topic, partition] = splitKey(key);
      offsets.push({ topic, partition, ...next });
      marks.push(() => ledger.markCommitted(next.offset, next.metadata));
    }
    if (offsets.length === 0 || !this.consumer) return;
    this.committing = this.consumer
      .commitOffsets(offsets)
      .then(() => marks.forEach((m) => m()))
      .finally(() => (this.committing = undefined));
    return this.committing;
  }

  /** partition → offsets finished above the group's committed offset (from the commit metadata); empty on any error. */
  private async finishedByPreviousOwner(topic: string): Promise<Map<number, Set<bigint>>> {
    const out = new Map<number, Set<bigint>>();
    try {
      const admin = await this.deps.client.admin();
      const [t] = await admin.fetchOffsets({ groupId: this.deps.client.group(this.opts.groupId), topics: [topic] });
      for (const p of t?.partitions ?? []) {
        if (Number(p.offset) < 0) continue;
        const done = decodeFinished(BigInt(p.offset), p.metadata);
        if (done.size > 0) out.set(p.partition, done);
      }
    } catch (e) {
      // Without it the partition is simply re-delivered from its committed offset (at least once).
      this.logger.warn(`cannot read the committed offsets of ${topic}: ${(e as Error).message}`);
    }
    return out;
  }
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}
