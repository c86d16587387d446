import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Context, type Span } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { Headers, type MessageContract, type TopicSpec } from '@herald/contracts';
import { ConsumerDeps } from './consumer-deps';
import { decodeMessage, headersOf } from './decode';
import { withTimeout } from '@herald/platform/observability';
import { retryWithBackoff } from './retry-with-backoff';
import { CoalescingRun } from './coalescing-run';
import { DEFAULT_ISOLATION_POLICY, IsolationState, isolateFailures, type GivenUp, type IsolationPolicy } from './failure-isolation';

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string>;
  timestamp: string;
  /**
   * W3C trace headers for what handling this message produces: those of the message's consumer
   * span (a child of its `traceparent`), or the message's own when tracing is off.
   */
  trace: Record<string, string>;
}

export interface ConsumedItem<T> {
  /** null for a tombstone (compacted topics). */
  value: T | null;
  ctx: ConsumedMessage;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const TRACE_HEADERS = [Headers.TraceParent, Headers.TraceState] as const;

/** A message's consumer span and the context it is active in. */
interface MessageTrace {
  span: Span;
  context: Context;
}

/** A valid message waiting for the handler, with what dead-lettering it would need. */
interface PendingItem<T> {
  item: ConsumedItem<T>;
  offset: string;
  raw: KafkaMessage;
}

/**
 * A consumer-group member for one message contract, on kafkajs:
 * - validates every message against the contract; an invalid one goes to the contract's DLQ with
 *   the reason in headers (never a crash, never a loop);
 * - hands valid ones to `handleBatch` (default: `handle` one by one, in order per partition);
 * - resolves and commits offsets only after the handler succeeded;
 * - tells a dependency that is down from a message that fails on its own (`classifyFailure`, and
 *   a probe of the service's `database` and `kafka` readiness before blaming a message):
 *   a transient failure is retried with backoff (same messages) while readiness reports it, for
 *   as long as it takes; a failing batch is split in two until the message that fails alone is
 *   found, which goes to the contract's DLQ with the reason in headers after a bounded number
 *   of tries, and the rest of the batch is handled and committed (`isolateFailures`);
 * - restarts itself after a non-retriable crash, and shuts down cleanly on SIGTERM;
 * - each message gets a CONSUMER span, child of its `traceparent` header, open until its batch
 *   is handled; `ctx.trace` carries it on, and `handle` (or a batch of one) runs inside it.
 */
export abstract class ContractConsumer<T> implements OnApplicationBootstrap, OnApplicationShutdown {
  protected abstract readonly contract: MessageContract<T>;
  protected abstract readonly topics: readonly TopicSpec[];
  /** A `ConsumerGroups` id; the namespace is applied here. */
  protected abstract readonly groupId: string;
  protected readonly fromBeginning: boolean = false;
  /** Partitions handled in parallel (order is kept within each). */
  protected readonly partitionsConsumedConcurrently: number = 1;
  /** Name of each message's consumer span; default `process <contract type>`. */
  protected readonly spanName?: string;
  /**
   * Readiness checks probed before a failure of unknown cause is blamed on a message: if one of
   * them fails, the failure is a dependency's (retried, readiness down), not the message's.
   */
  protected readonly dependencies: readonly string[] = ['database', 'kafka'];
  /** How failures are retried, split and given up. */
  protected readonly isolation: IsolationPolicy = DEFAULT_ISOLATION_POLICY;
  /**
   * Where an invalid or given-up message goes: the contract's DLQ. `null` for a group that reads
   * a topic another group owns (the registry's log of `herald.deliveries.v1`, which the
   * dispatcher delivers and dead-letters): the message is skipped with a warning and counted
   * (`herald_consumer_dead_letters_total{reason="skipped_*"}`), not dead-lettered a second time.
   */
  protected get deadLetterTopic(): TopicSpec | null {
    return this.contract.dlq;
  }
  /** The group session timeout: a member silent this long is evicted (kafkajs' default, 30 s). */
  protected readonly sessionTimeoutMs: number = 30_000;
  /**
   * At most this many messages of a fetched batch are handed to `handleBatch` at once; each part's
   * offsets are resolved (and, with `commitEveryBatch`, committed) before the next part starts, so a
   * big batch makes progress that survives a crash.
   */
  protected readonly maxBatchItems: number = Number.POSITIVE_INFINITY;
  /** Commit after every handled part, instead of every second or 500 messages. */
  protected readonly commitEveryBatch: boolean = false;

  protected readonly logger = new Logger(this.constructor.name);
  private consumer?: Consumer;
  private stopping = false;
  private lastError: { at: number; message: string } | null = null;
  private joined = false;
  private readonly tracer = trace.getTracer('@herald/platform/kafka');
  private readonly traces = new WeakMap<ConsumedMessage, MessageTrace>();
  private readonly isolationState = new IsolationState();
  /** The running consumer's commit (kafkajs' `commitOffsetsIfNecessary`: every resolved offset of the member). */
  private commitResolved?: () => Promise<void>;
  /**
   * Offset commits of the partitions handled concurrently, coalesced: one request at a time, and
   * the parts done while it is in flight share the next one (which starts after they resolved
   * their offsets, so it carries them) — not one OffsetCommit per part of every partition.
   */
  private readonly commits = new CoalescingRun<void>(() => this.commitResolved?.() ?? Promise.resolve());

  constructor(protected readonly deps: ConsumerDeps) {}

  protected handle(_value: T | null, _ctx: ConsumedMessage): Promise<void> {
    throw new Error(`${this.constructor.name} implements neither handle nor handleBatch`);
  }

  /** Override to handle a partition's valid messages together (e.g. one SQL statement). */
  protected async handleBatch(items: ConsumedItem<T>[]): Promise<void> {
    for (const item of items) await this.inTraceOf(item.ctx, () => this.handle(item.value, item.ctx));
  }

  /** Runs `fn` with the message's consumer span active (logs carry its ids, producers its context). */
  protected inTraceOf<R>(ctx: ConsumedMessage, fn: () => R): R {
    const t = this.traces.get(ctx);
    return t ? context.with(t.context, fn) : fn();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.deps.readiness.register({
      name: `consumer:${this.groupId}`,
      check: async () => {
        if (this.lastError) throw new Error(this.lastError.message);
        if (!this.joined) throw new Error('not yet a member of its consumer group');
      },
    });
    // Start in the background: a broker that is down at start-up must not stop the service.
    void this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    // kafkajs waits for the running batch to finish and commits resolved offsets.
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private async start(): Promise<void> {
    await retryWithBackoff(() => this.run(), {
      stopped: () => this.stopping,
      onError: async (e) => {
        this.fail(`start failed: ${e.message}`);
        // A consumer that failed to connect or subscribe still holds sockets and timers:
        // let it go before the next attempt creates a new one.
        await this.consumer?.disconnect().catch(() => undefined);
        this.consumer = undefined;
      },
    });
  }

  private async run(): Promise<void> {
    const { client } = this.deps;
    const consumer = client.kafka.consumer({
      groupId: client.group(this.groupId),
      allowAutoTopicCreation: false,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(this.sessionTimeoutMs / 3)),
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.lastError = null;
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload as { error: Error; restart: boolean };
      this.fail(`crashed: ${error.message}${restart ? ' (kafkajs restarts it)' : ''}`);
      if (!restart && !this.stopping) {
        this.joined = false;
        void consumer.disconnect().finally(() => void this.start());
      }
    });
    await consumer.connect();
    for (const topic of this.topics) {
      await consumer.subscribe({ topic: client.topic(topic), fromBeginning: this.fromBeginning });
    }
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      autoCommitThreshold: this.commitEveryBatch ? 1 : 500,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary } = payload;
    this.commitResolved = commitOffsetsIfNecessary;
    this.deps.lag.set(
      { group: this.groupId, topic: batch.topic, partition: String(batch.partition) },
      Number(batch.offsetLag()),
    );
    const dlq = this.deadLetterTopic;
    const stillOwned = () => !this.stopping && isRunning() && !isStale();
    let pending: PendingItem<T>[] = [];
    /** Offsets resolved (invalid messages) since this batch's last commit. */
    let resolvedSinceCommit = false;

    const flush = async (): Promise<boolean> => {
      if (pending.length === 0) return true;
      const items = pending;
      pending = [];
      // kafkajs heartbeats only between batches: a handler that runs longer than the session
      // timeout would get its member evicted, its commits refused and its work redone by the next
      // member. Keep heartbeating while it runs (kafkajs sends one per heartbeatInterval at most).
      const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), 1_000);
      let ok: boolean;
      try {
        ok = await this.handleIsolating(items, stillOwned, heartbeat, (done) => resolveOffset(done[done.length - 1].offset));
      } finally {
        clearInterval(keepAlive);
      }
      this.endSpans(
        items.map((p) => p.item),
        ok,
      );
      if (ok) {
        resolvedSinceCommit = false;
        await this.commits.run();
      }
      return ok;
    };

    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      const decoded = decodeMessage(this.contract, message);
      if (decoded.kind === 'invalid') {
        if (!(await flush())) return;
        if (dlq) {
          await this.deps.deadLetters.deadLetter(
            dlq,
            { topic: batch.topic, partition: batch.partition, offset: message.offset },
            message,
            decoded.reason,
          );
        } else {
          this.logger.warn(`skipped an invalid message at ${batch.topic}[${batch.partition}]@${message.offset}: ${decoded.reason}`);
        }
        this.deps.deadLettered.inc({ group: this.groupId, reason: dlq ? 'invalid' : 'skipped_invalid' });
        resolveOffset(message.offset);
        resolvedSinceCommit = true;
        continue;
      }
      pending.push({
        item: { value: decoded.kind === 'value' ? decoded.value : null, ctx: this.ctxOf(batch.topic, batch.partition, message) },
        offset: message.offset,
        raw: message,
      });
      if (pending.length >= this.maxBatchItems && !(await flush())) return;
    }
    if (!(await flush())) return;
    // What the last part's commit did not carry (invalid messages after it).
    if (resolvedSinceCommit) await this.commits.run();
    await heartbeat();
  }

  /**
   * Handles the items, resolving offsets as parts are handled: a transient failure is retried
   * with readiness down; a message that fails on its own is found by splitting the batch and
   * dead-lettered (`isolateFailures`). False when the consumer stopped or lost the partition.
   */
  private handleIsolating(
    items: PendingItem<T>[],
    stillOwned: () => boolean,
    heartbeat: () => Promise<void>,
    resolve: (done: readonly PendingItem<T>[]) => void,
  ): Promise<boolean> {
    return isolateFailures<PendingItem<T>>(
      items,
      {
        // A batch of one runs inside its message's span; larger ones use `inTraceOf` / `ctx.trace`.
        attempt: (part) => {
          const values = part.map((p) => p.item);
          return values.length === 1 ? this.inTraceOf(values[0].ctx, () => this.handleBatch(values)) : this.handleBatch(values);
        },
        handled: async (part) => {
          resolve(part);
          await heartbeat().catch(() => undefined);
        },
        giveUp: async (p, why) => {
          await this.giveUp(p, why);
          resolve([p]);
        },
        probe: () => this.probeDependencies(),
        transient: (e, failure) => {
          this.fail(`handler failed (${failure.label}), will retry: ${(e as Error).message}`);
          this.recordException(items, e);
        },
        failed: (e, failure, part) => {
          this.logger.warn(
            `handler failed on ${part.length} message(s) at ${part[0].item.ctx.topic}[${part[0].item.ctx.partition}]@${part[0].offset} ` +
              `(${failure.label}): ${(e as Error).message}; ${part.length > 1 ? 'splitting the batch' : 'trying it alone'}`,
          );
          this.recordException(part, e);
        },
        recovered: () => {
          this.logger.log('handler recovered');
          this.lastError = null;
        },
        running: stillOwned,
        sleep,
        idle: heartbeat,
      },
      this.isolationState,
      this.isolation,
    );
  }

  /** The one message that fails on its own goes to the contract's DLQ, with why and how often it was tried. */
  private async giveUp(p: PendingItem<T>, why: GivenUp): Promise<void> {
    const { ctx } = p.item;
    const message = why.error instanceof Error ? why.error.message : String(why.error);
    const dlq = this.deadLetterTopic;
    if (!dlq) {
      this.logger.warn(`gave up on ${ctx.topic}[${ctx.partition}]@${p.offset} (${why.failure.label}, tried ${why.tries} time(s) alone), skipped: ${message}`);
      this.deps.deadLettered.inc({ group: this.groupId, reason: 'skipped_handler' });
      return;
    }
    await this.deps.deadLetters.deadLetter(
      dlq,
      { topic: ctx.topic, partition: ctx.partition, offset: p.offset },
      p.raw,
      `${this.groupId} could not handle it (${why.failure.label}, tried ${why.tries} time(s) alone): ${message}`,
      'handler',
      { [Headers.DlqConsumerGroup]: this.deps.client.group(this.groupId) },
    );
    this.deps.deadLettered.inc({ group: this.groupId, reason: 'handler' });
    this.traces.get(ctx)?.span.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettered: ${why.failure.label}` });
  }

  /** The service's dependencies answer (their readiness checks, 5 s each at most). */
  protected async probeDependencies(): Promise<boolean> {
    const checks = this.deps.readiness.all().filter((c) => this.dependencies.includes(c.name));
    try {
      await Promise.all(checks.map((c) => withTimeout(c.check(), 5_000, c.name)));
      return true;
    } catch (e) {
      this.logger.warn(`dependency probe failed: ${(e as Error).message}`);
      return false;
    }
  }

  private recordException(items: readonly PendingItem<T>[], e: unknown): void {
    for (const p of items) this.traces.get(p.item.ctx)?.span.recordException(e as Error);
  }

  private ctxOf(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
    const headers = headersOf(message);
    const key = message.key?.toString('utf8') ?? '';
    const parent = propagation.extract(ROOT_CONTEXT, headers);
    const span = this.tracer.startSpan(
      this.spanName ?? `process ${this.contract.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.consumer.group.name': this.groupId,
          'messaging.kafka.offset': Number(message.offset),
          'messaging.kafka.message.key': key,
        },
      },
      parent,
    );
    const spanContext = trace.setSpan(parent, span);
    const carrier: Record<string, string> = {};
    propagation.inject(spanContext, carrier);
    const own: Record<string, string> = {};
    for (const name of TRACE_HEADERS) if (headers[name]) own[name] = headers[name];
    const ctx: ConsumedMessage = {
      topic,
      partition,
      offset: message.offset,
      key,
      headers,
      timestamp: message.timestamp,
      trace: carrier[Headers.TraceParent] ? carrier : own,
    };
    this.traces.set(ctx, { span, context: spanContext });
    return ctx;
  }

  /** Ends the batch's consumer spans: OK when handled, an error when handed back unhandled. */
  private endSpans(items: readonly ConsumedItem<T>[], handled: boolean): void {
    for (const item of items) {
      const t = this.traces.get(item.ctx);
      if (!t) continue;
      if (!handled) t.span.setStatus({ code: SpanStatusCode.ERROR, message: 'not handled: consumer stopped or partition revoked' });
      t.span.end();
      this.traces.delete(item.ctx);
    }
  }

  private fail(message: string): void {
    this.lastError = { at: Date.now(), message };
    this.logger.warn(message);
  }
}
