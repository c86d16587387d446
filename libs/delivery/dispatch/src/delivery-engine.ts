import { Logger } from '@nestjs/common';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context as otelContext, propagation, trace as otelTrace } from '@opentelemetry/api';
import {
  DeliveryContract,
  DeliveryOutcomeContract,
  Headers,
  Topics,
  encodeMessage,
  retryTierFor,
  type Delivery,
  type DeliveryOutcome,
  type DeliveryStatus,
  type ErrorClass,
  type TopicSpec,
} from '@herald/contracts';
import { decodeMessage, headersOf, type DeadLetterWriter, type OutboundBatcher } from '@herald/platform/kafka';
import type { AttemptResult, WebhookSender } from '@herald/delivery/sending';
import { planRetry, type TrackedMessage } from '@herald/delivery/retry-tiers';
import { activeSecrets, isDeliverable, type Endpoint, type EndpointDirectory, type EndpointLookup } from './endpoint-directory';
import type { DispatchMetrics } from './dispatch-metrics';

export interface DispatchSettings {
  /** HTTP attempts in flight across all subscriptions. */
  maxInFlight: number;
  /** HTTP attempts in flight for one subscription in independent mode (ordered mode: 1). */
  maxInFlightPerSubscription: number;
  /** How long a delivery waits for a snapshot the router saw before us (new or updated hook). */
  snapshotWaitMs: number;
  /**
   * Independent mode: a subscription with this many deliveries queued whose oldest attempt has
   * been running for `spillAfterMs` (or whose last attempt timed out) is hanging: it gets one
   * attempt in flight instead of `maxInFlightPerSubscription` — hanging requests would otherwise
   * hold the connections of an origin that healthy hooks share — and further deliveries for it
   * are moved to a retry
   * tier without an attempt, so they do not fill the partition and stall other receivers.
   */
  spillQueueLength: number;
  spillAfterMs: number;
}

export const DEFAULT_DISPATCH_SETTINGS: DispatchSettings = {
  maxInFlight: 512,
  maxInFlightPerSubscription: 4,
  snapshotWaitMs: 5_000,
  spillQueueLength: 8,
  spillAfterMs: 1_000,
};

/** Ordered mode: how long a head may wait for its followers to come back before the pipe is trusted no more. */
const DRAIN_GUARD_MS = 120_000;
/** Ordered mode: a parked head not seen this long after it was due is taken as lost (retention, manual deletion). */
const LOST_HEAD_GRACE_MS = 10 * 60_000;

interface Entry {
  delivery: Delivery;
  source: TrackedMessage;
  /** Trace context (and nothing else) carried to what this delivery produces. */
  trace: Record<string, string>;
  finish: () => void;
}

/**
 * Ordered mode (Procore): a failing delivery pauses its hook's later deliveries until it
 * succeeds or is discarded — without blocking other hooks on the partition and without losing
 * anything on a restart.
 *
 * Chosen design: the hook's queue continues IN the retry tier topic where its failing head
 * waits (the "pipe"). When the head fails, it and every later delivery of the hook that the
 * dispatcher holds are produced, in order and in one batch, to the tier for the head's delay
 * (same key, so the same partition, the head first). Deliveries of the hook that arrive while
 * the head is parked are forwarded to the end of that same partition. The tier consumer reads
 * the head when it is due, then the followers behind it; they are attempted one at a time.
 * If the head fails again, the hook first waits until every follower still in the pipe has been
 * read back (`outstanding` reaches 0; deliveries arriving meanwhile are held in memory behind
 * them), then moves head + followers together to the next tier. So all of a hook's pending
 * deliveries are always in one topic partition, in order, and other hooks on the main topic and
 * in the tiers flow on. Everything parked is in Kafka before its source offset is committed.
 *
 * After a restart the pipes are rebuilt from the tier topics (see `OrderedPipeRebuilder`): for
 * each ordered hook, the head is its message with the highest attempt, the pipe is the topic
 * holding it, and `outstanding` counts the hook's messages from the head on. Copies left by
 * uncommitted offsets are either dropped (a stale copy of the head) or forwarded behind the head
 * (at least once, never lost).
 *
 * When the head is exhausted by max age (Procore: 12 h of failure), the followers that were
 * queued behind it end the same way (discarded or DLQ), as Procore discards the queued events;
 * deliveries that arrive afterwards start a fresh cycle.
 *
 * Limit: pipes are per process and rebuilt at start only; with several replicas the main topic's
 * and the tiers' partition p may be owned by different replicas (separate groups), so strict
 * order across a rebalance needs a co-partitioning assignor (see the app README).
 */
export interface OrderedPipe {
  headTopic: TopicSpec;
  headId: string;
  headAttempt: number;
  /** The head's due time (epoch ms); followers carry it too. */
  dueAt: number;
  headTaken: boolean;
  headDone: boolean;
  /** Messages of the hook produced to `headTopic` and not yet read back. */
  outstanding: number;
  /** Deliveries that arrived while followers were still in the pipe: they go after them. */
  held: Entry[];
  /** The head expired: followers read back end like it did. */
  exhaust: { status: DeliveryStatus; toDlq: boolean } | null;
  drainWaiters: (() => void)[];
}

class Semaphore {
  private used = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.used--;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One subscription's deliveries: in order, at most N in flight, rate-limited, with its ordered-mode pipe. */
class Lane {
  readonly queue: Entry[] = [];
  running = 0;
  /** Start times of running attempts (hanging-receiver detection). */
  readonly startedAt = new Set<number>();
  pipe: OrderedPipe | null = null;
  nextSlotAt = 0;
  /** The last attempt timed out; cleared by the next answer. */
  timingOut = false;

  constructor(readonly subscriptionId: string) {}

  get idle(): boolean {
    return this.queue.length === 0 && this.running === 0 && this.pipe === null;
  }

  isHanging(now: number, afterMs: number): boolean {
    return this.timingOut || this.oldestRunningMs(now) >= afterMs;
  }

  oldestRunningMs(now: number): number {
    let oldest = now;
    for (const t of this.startedAt) if (t < oldest) oldest = t;
    return now - oldest;
  }
}

/**
 * Sends deliveries from the main topic and the retry tiers: concurrently across subscriptions,
 * in order within one, with caps on attempts in flight per subscription and overall. Each
 * accepted message's promise resolves once it is finished — delivered, moved to a retry tier,
 * dead-lettered or discarded, with its outcome acknowledged by Kafka — and only then may its
 * offset be committed.
 */
export class DeliveryEngine {
  private readonly logger = new Logger('DeliveryEngine');
  private readonly lanes = new Map<string, Lane>();
  private readonly slots: Semaphore;
  private stopping = false;
  private attempts = 0;
  private readonly idleWaiters: (() => void)[] = [];
  /** Writes (outcomes, tier messages) that finish a delivery after its lane moved on. */
  private readonly writes = new Set<Promise<unknown>>();
  private readonly tracer = otelTrace.getTracer('delivery-dispatcher');

  constructor(
    private readonly directory: EndpointDirectory,
    private readonly sender: Pick<WebhookSender, 'send'>,
    private readonly out: OutboundBatcher,
    private readonly deadLetters: Pick<DeadLetterWriter, 'deadLetter'>,
    private readonly metrics: DispatchMetrics,
    private readonly settings: DispatchSettings = DEFAULT_DISPATCH_SETTINGS,
  ) {
    this.slots = new Semaphore(settings.maxInFlight);
  }

  /** The `TrackedHandler` for the main topic and every tier. */
  readonly accept = async (m: TrackedMessage): Promise<void> => {
    const decoded = decodeMessage(DeliveryContract, m.message);
    if (decoded.kind !== 'value') {
      const reason = decoded.kind === 'invalid' ? decoded.reason : 'tombstone on a delivery topic';
      await this.durably(() =>
        this.deadLetters.deadLetter(Topics.DeliveriesDlq, { topic: m.topic.name, partition: m.partition, offset: m.offset }, m.message, reason),
      );
      this.metrics.dlqMessages.inc({ reason: 'invalid' });
      return;
    }
    const headers = headersOf(m.message);
    const trace: Record<string, string> = {};
    for (const h of [Headers.TraceParent, Headers.TraceState]) if (headers[h]) trace[h] = headers[h];
    await new Promise<void>((finish) => this.offer({ delivery: decoded.value, source: m, trace, finish }));
  };

  /** Seeds an ordered hook's pipe found in the tier topics at start (before any consumer runs). */
  seedPipe(subscriptionId: string, pipe: Pick<OrderedPipe, 'headTopic' | 'headId' | 'headAttempt' | 'dueAt' | 'outstanding'>): void {
    this.lane(subscriptionId).pipe = { ...pipe, headTaken: false, headDone: false, held: [], exhaust: null, drainWaiters: [] };
  }

  /** The ordered pipes held now (for tests and diagnostics). */
  pipes(): Map<string, OrderedPipe> {
    const out = new Map<string, OrderedPipe>();
    for (const [id, lane] of this.lanes) if (lane.pipe) out.set(id, lane.pipe);
    return out;
  }

  get attemptsInFlight(): number {
    return this.attempts;
  }

  /**
   * Graceful shutdown: start no new attempt, wait (at most `timeoutMs`) for the running ones to
   * finish and their results to be written. Queued deliveries are handed back: never finished,
   * so never committed, so the next owner of the partition delivers them.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    const idle = async () => {
      if (this.attempts > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
      await Promise.all([...this.writes]);
      return true;
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    return Promise.race([idle(), timedOut]).finally(() => clearTimeout(timer));
  }

  private inBackground(p: Promise<unknown>): void {
    const tracked = p.catch((err: Error) => this.logger.error(`write failed: ${err.message}`)).finally(() => this.writes.delete(tracked));
    this.writes.add(tracked);
  }

  private lane(id: string): Lane {
    let lane = this.lanes.get(id);
    if (!lane) this.lanes.set(id, (lane = new Lane(id)));
    return lane;
  }

  private offer(e: Entry): void {
    const lane = this.lane(e.delivery.subscriptionId);
    const pipe = lane.pipe;
    if (!pipe) {
      if (this.shouldSpill(lane)) return void this.spill(e);
      lane.queue.push(e);
      return this.pump(lane);
    }
    const d = e.delivery;
    const fromPipe = e.source.topic === pipe.headTopic;
    const isHead = d.deliveryId === pipe.headId && d.attempt === pipe.headAttempt;
    if (fromPipe && !pipe.headTaken && isHead) {
      pipe.headTaken = true;
      pipe.outstanding--;
      lane.queue.unshift(e);
      return this.pump(lane);
    }
    if (fromPipe && pipe.headTaken) {
      pipe.outstanding--;
      if (pipe.exhaust) void this.endWithoutAttempt(e, pipe.exhaust.status, 'expired', 'the hook expired while this delivery was queued behind its failing head', pipe.exhaust.toDlq);
      else lane.queue.push(e);
      this.checkDrained(lane);
      return this.pump(lane);
    }
    if (d.deliveryId === pipe.headId) {
      // A copy of the head from an older pipe (offsets not yet committed before a restart).
      return e.finish();
    }
    if (!pipe.headTaken) {
      if (Date.now() > pipe.dueAt + LOST_HEAD_GRACE_MS) {
        this.logger.warn(`ordered hook ${lane.subscriptionId}: parked head ${pipe.headId} never came back from ${pipe.headTopic.name}; releasing its pipe`);
        lane.pipe = null;
        lane.queue.push(...pipe.held);
        lane.queue.push(e);
        return this.pump(lane);
      }
      // The head is parked: this delivery joins the end of its pipe.
      pipe.outstanding++;
      void this.produceDelivery(pipe.headTopic, d, pipe.dueAt, e.trace).then(e.finish);
      return;
    }
    // The head is out of the pipe (being attempted, or done while followers are still coming back).
    if (pipe.outstanding > 0) pipe.held.push(e);
    else lane.queue.push(e);
    this.pump(lane);
  }

  private checkDrained(lane: Lane): void {
    const pipe = lane.pipe;
    if (!pipe || pipe.outstanding > 0) return;
    lane.queue.push(...pipe.held);
    pipe.held = [];
    pipe.exhaust = null;
    for (const w of pipe.drainWaiters.splice(0)) w();
    if (pipe.headDone) lane.pipe = null;
  }

  private shouldSpill(lane: Lane): boolean {
    if (lane.queue.length < this.settings.spillQueueLength) return false;
    const ep = this.endpointOf(lane.subscriptionId);
    if (!ep || ep.deliveryMode === 'ordered') return false;
    return lane.isHanging(Date.now(), this.settings.spillAfterMs);
  }

  /** A hanging receiver's surplus goes to the tier of its timeout, unattempted (same attempt number). */
  private async spill(e: Entry): Promise<void> {
    const waitMs = this.endpointOf(e.delivery.subscriptionId)?.timeoutMs ?? 5_000;
    this.metrics.spilled.inc();
    await this.produceDelivery(retryTierFor(waitMs).spec, e.delivery, Date.now() + waitMs, e.trace);
    e.finish();
  }

  /** The endpoint if it is known and readable (decryption problems surface in `run`). */
  private endpointOf(id: string): Endpoint | null {
    try {
      const found = this.directory.lookup(id);
      return found.kind === 'found' ? found.endpoint : null;
    } catch {
      return null;
    }
  }

  private pump(lane: Lane): void {
    if (this.stopping) return;
    const ordered = lane.pipe !== null || this.endpointOf(lane.subscriptionId)?.deliveryMode === 'ordered';
    const cap = ordered || lane.isHanging(Date.now(), this.settings.spillAfterMs) ? 1 : this.settings.maxInFlightPerSubscription;
    const next = () => (lane.running < cap ? lane.queue.shift() : undefined);
    for (let entry = next(); entry; entry = next()) {
      lane.running++;
      const id = entry.delivery.deliveryId;
      void this.run(lane, entry)
        .catch((err: Error) => this.logger.error(`delivery ${id} failed unexpectedly: ${err.stack ?? err.message}`))
        .finally(() => {
          lane.running--;
          this.pump(lane);
          if (lane.idle) this.lanes.delete(lane.subscriptionId);
        });
    }
  }

  private async run(lane: Lane, e: Entry): Promise<void> {
    const d = e.delivery;
    let found: EndpointLookup;
    try {
      found = this.directory.lookup(d.subscriptionId);
      if (found.kind === 'unknown' || (found.kind === 'found' && found.endpoint.version < d.subscriptionVersion)) {
        found = await this.directory.awaitVersion(d.subscriptionId, d.subscriptionVersion, this.settings.snapshotWaitMs);
      }
    } catch (err) {
      // A secret under a key this process does not hold: a configuration fault, not the receiver's.
      return this.afterFailure(lane, e, null, new Date(), { ok: false, durationMs: 0, errorClass: 'invalid', errorMessage: `cannot read the subscription: ${(err as Error).message}` });
    }
    if (found.kind !== 'found') {
      await this.endWithoutAttempt(e, 'discarded', 'subscription_gone', 'the subscription was deleted');
      return this.headEnded(lane, e);
    }
    const ep = found.endpoint;
    if (!isDeliverable(ep.status)) {
      await this.endWithoutAttempt(e, 'discarded', 'subscription_inactive', `the subscription is ${ep.status}`);
      return this.headEnded(lane, e);
    }

    if (ep.rateLimitPerSec) {
      const now = Date.now();
      const wait = lane.nextSlotAt - now;
      lane.nextSlotAt = Math.max(now, lane.nextSlotAt) + 1000 / ep.rateLimitPerSec;
      if (wait > 0) await sleep(wait);
    }
    await this.slots.acquire();
    const startedAt = new Date();
    const started = startedAt.getTime();
    lane.startedAt.add(started);
    this.attempts++;
    this.metrics.inFlight.inc();
    // One `deliver` span per attempt, child of the change's trace (the router's span, or the
    // previous attempt's), with the sender's HTTP client span inside; what the attempt writes
    // (outcome, retry tier, DLQ) continues it.
    const parent = propagation.extract(ROOT_CONTEXT, e.trace);
    const span = this.tracer.startSpan(
      'deliver',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'http.request.method': ep.method,
          'server.address': hostOf(ep.url),
          'herald.subscription_id': d.subscriptionId,
          'herald.delivery_id': d.deliveryId,
          'herald.attempt': d.attempt,
        },
      },
      parent,
    );
    let result: AttemptResult;
    try {
      result = await otelContext.with(otelTrace.setSpan(parent, span), () => this.sender.send({
        url: ep.url,
        method: ep.method,
        headers: { ...d.headers, ...ep.headers },
        body: d.body,
        contentType: d.contentType,
        timeoutMs: ep.timeoutMs,
        successContract: ep.successContract,
        basicAuth: ep.basicAuth,
        signing: { id: d.eventId, timestamp: startedAt, secrets: activeSecrets(ep, started) },
      }));
    } finally {
      this.slots.release();
      lane.startedAt.delete(started);
      this.metrics.inFlight.dec();
    }
    if (result.httpStatus !== undefined) span.setAttribute('http.response.status_code', result.httpStatus);
    if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorClass });
    span.end();
    const carrier: Record<string, string> = {};
    propagation.inject(otelTrace.setSpan(parent, span), carrier);
    if (carrier[Headers.TraceParent]) e.trace = carrier;
    lane.timingOut = result.errorClass === 'timeout';
    this.metrics.attemptDuration.observe(result.durationMs / 1000);
    try {
      if (result.ok) {
        if (d.origin === 'event') this.metrics.e2eLatency.observe((Date.now() - Date.parse(d.occurredAt)) / 1000);
        // The lane moves on at once; the offset is committable only once the outcome is written.
        this.inBackground(this.publish(e, 'delivered', result, startedAt).then(e.finish));
        this.headEnded(lane, e);
      } else {
        await this.afterFailure(lane, e, ep, startedAt, result);
      }
    } finally {
      this.attempts--;
      if (this.attempts === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** A failed attempt: the next tier, or the end of the line (DLQ / discarded). */
  private async afterFailure(lane: Lane, e: Entry, ep: Endpoint | null, startedAt: Date, result: AttemptResult): Promise<void> {
    const d = e.delivery;
    const firstAttemptAt = d.firstAttemptAt ? new Date(d.firstAttemptAt) : startedAt;
    const policy = ep?.retryPolicy ?? { scheduleMs: [5_000, 30_000, 120_000], maxAttempts: 1_000, maxAgeMs: 3 * 86_400_000, onExhausted: 'dlq' as const };
    const unsubscribed = ep !== null && result.httpStatus !== undefined && ep.failurePolicy.unsubscribeOn.includes(result.httpStatus);
    const plan = unsubscribed
      ? ({ kind: 'exhausted', reason: 'max_attempts', onExhausted: policy.onExhausted } as const)
      : planRetry(policy, { attempt: d.attempt, firstAttemptAt, now: new Date(), retryAfterMs: result.retryAfterMs });

    if (plan.kind === 'retry') {
      const next: Delivery = { ...d, attempt: plan.nextAttempt, firstAttemptAt: firstAttemptAt.toISOString() };
      const dueAt = plan.dueAt.getTime();
      if (ep?.deliveryMode === 'ordered' || lane.pipe) return this.repark(lane, e, next, plan.tier, dueAt, result, startedAt);
      this.inBackground(
        Promise.all([this.produceDelivery(plan.tier, next, dueAt, e.trace), this.publish(e, 'retrying', result, startedAt, plan.dueAt)]).then(e.finish),
      );
      return;
    }

    const toDlq = plan.onExhausted === 'dlq';
    const status: DeliveryStatus = toDlq ? 'failed' : 'discarded';
    const why = unsubscribed ? `the receiver answered ${result.httpStatus}, which ends the subscription` : `retries exhausted (${plan.reason})`;
    await Promise.all([
      this.publish(e, status, result, startedAt),
      toDlq ? this.toDlq(e, `${why}: ${result.errorMessage ?? ''}`, result.errorClass ?? 'http_status', unsubscribed ? 'unsubscribed' : 'exhausted') : undefined,
    ]);
    e.finish();
    if (plan.reason === 'max_age' && (ep?.deliveryMode === 'ordered' || lane.pipe)) {
      // Procore: after 12 h of failure the queued events are discarded too.
      const queued = lane.queue.splice(0);
      await Promise.all(queued.map((q) => this.endWithoutAttempt(q, status, 'expired', 'the hook expired while this delivery was queued behind its failing head', toDlq)));
      if (lane.pipe && lane.pipe.outstanding > 0) lane.pipe.exhaust = { status, toDlq };
    }
    this.headEnded(lane, e);
  }

  /** Ordered mode: the failed head and everything queued behind it move, in order, to the head's next tier. */
  private async repark(lane: Lane, e: Entry, next: Delivery, tier: TopicSpec, dueAt: number, result: AttemptResult, startedAt: Date): Promise<void> {
    let pipe = lane.pipe;
    if (pipe && pipe.outstanding > 0) {
      // Followers are still coming back from the current pipe: they must stay behind the head.
      const p = pipe;
      await new Promise<void>((r) => {
        const guard = setTimeout(r, DRAIN_GUARD_MS);
        p.drainWaiters.push(() => {
          clearTimeout(guard);
          r();
        });
      });
      if (p.outstanding > 0) {
        this.logger.warn(`ordered hook ${lane.subscriptionId}: ${p.outstanding} followers did not come back in time; moving on`);
        p.outstanding = 0;
        this.checkDrained(lane);
      }
    }
    const followers = lane.queue.splice(0);
    if (pipe) followers.push(...pipe.held.splice(0));
    pipe = {
      headTopic: tier,
      headId: next.deliveryId,
      headAttempt: next.attempt,
      dueAt,
      headTaken: false,
      headDone: false,
      outstanding: 1 + followers.length,
      held: [],
      exhaust: null,
      drainWaiters: [],
    };
    lane.pipe = pipe;
    await Promise.all([
      this.produceDelivery(tier, next, dueAt, e.trace),
      ...followers.map((f) => this.produceDelivery(tier, f.delivery, dueAt, f.trace)),
      this.publish(e, 'retrying', result, startedAt, new Date(dueAt)),
    ]);
    e.finish();
    for (const f of followers) f.finish();
  }

  /** The running delivery of an ordered hook ended for good (delivered, discarded, failed). */
  private headEnded(lane: Lane, e: Entry): void {
    const pipe = lane.pipe;
    if (!pipe || e.delivery.deliveryId !== pipe.headId) return;
    pipe.headDone = true;
    this.checkDrained(lane);
  }

  private async endWithoutAttempt(e: Entry, status: DeliveryStatus, errorClass: ErrorClass, message: string, toDlq = false): Promise<void> {
    const result: AttemptResult = { ok: false, durationMs: 0, errorClass, errorMessage: message };
    await Promise.all([this.publish(e, status, result, new Date(), undefined, true), toDlq ? this.toDlq(e, message, errorClass, 'exhausted') : undefined]);
    e.finish();
  }

  private publish(e: Entry, status: DeliveryStatus, r: AttemptResult, at: Date, nextAttemptAt?: Date, noAttempt = false): Promise<void> {
    const d = e.delivery;
    this.metrics.deliveries.inc({ status });
    const outcome: DeliveryOutcome = {
      deliveryId: d.deliveryId,
      eventId: d.eventId,
      subscriptionId: d.subscriptionId,
      tenantId: d.tenantId,
      eventType: d.eventType,
      resourceType: d.resourceType,
      resourceId: d.resourceId,
      status,
      // 0: this step made no HTTP attempt (the log keeps attempts by number).
      attempt: noAttempt ? 0 : d.attempt,
      at: at.toISOString(),
      httpStatus: r.httpStatus ?? null,
      durationMs: r.durationMs,
      errorClass: r.errorClass ?? null,
      errorMessage: r.errorMessage?.slice(0, 1000) ?? null,
      responseExcerpt: r.responseExcerpt ?? null,
      nextAttemptAt: nextAttemptAt?.toISOString() ?? null,
      occurredAt: d.occurredAt,
      origin: d.origin,
    };
    return this.out.add(Topics.DeliveryOutcomes, encodeMessage(DeliveryOutcomeContract, outcome, { trace: e.trace }));
  }

  private produceDelivery(topic: TopicSpec, d: Delivery, dueAt: number, trace: Record<string, string>): Promise<void> {
    return this.out.add(topic, encodeMessage(DeliveryContract, d, { trace, headers: { [Headers.DueAt]: String(dueAt) } }));
  }

  private async toDlq(e: Entry, reason: string, errorClass: string, label: string): Promise<void> {
    const value = Buffer.from(JSON.stringify(e.delivery));
    await this.durably(() =>
      this.deadLetters.deadLetter(
        Topics.DeliveriesDlq,
        { topic: e.source.topic.name, partition: e.source.partition, offset: e.source.offset },
        { key: Buffer.from(e.delivery.subscriptionId), value, headers: { ...e.source.message.headers } },
        reason,
        errorClass,
      ),
    );
    this.metrics.dlqMessages.inc({ reason: label });
  }

  /** Retries a Kafka write until it succeeds (the delivery must not be committed before). */
  private async durably(write: () => Promise<void>): Promise<void> {
    let delay = 200;
    for (;;) {
      try {
        return await write();
      } catch (err) {
        this.logger.warn(`write failed, retrying: ${(err as Error).message}`);
        await sleep(delay);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
