import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context as otelContext, propagation, trace as otelTrace } from '@opentelemetry/api';
import { Headers, MIN_RATE_LIMIT_PER_SEC, type Delivery, type SubscriptionStatus } from '@herald/contracts';
import type { AttemptResult, WebhookSender } from '@herald/delivery/sending';
import type { DispatchMetrics } from '../dispatch-metrics';
import { activeSecrets, isDeliverable, type Endpoint, type EndpointDirectory, type EndpointLookup } from '../endpoint-directory';
import type { AttemptSlots, Entry, Lane, ShareWaiting } from './lanes';
import { NO_STALLS, activeNow, type StallClock } from './loop-stalls';
import { partitionKeyOf } from './tenant-holds';
import { originOf, type AttemptBytes, type TenantShares } from './tenant-shares';

export type EndpointFor =
  | { kind: 'found'; endpoint: Endpoint }
  /** Deleted (or never seen within the snapshot wait). */
  | { kind: 'gone' }
  | { kind: 'inactive'; status: SubscriptionStatus }
  /** A secret under a key this process does not hold: a configuration fault, not the receiver's. */
  | { kind: 'unreadable'; result: AttemptResult };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** Thrown by an attempt's rate-limit sleep that ends unwanted (its partition was revoked, or shutdown began): `acquire` gives back what it took. */
const NOT_WANTED = Symbol('not wanted');

/**
 * One HTTP attempt of a delivery: the hook's current endpoint (waiting a little for a snapshot
 * the router saw before us), its tenant's share and a token of the receiver origin's pool
 * (`TenantShares`: the request then never waits for a socket inside the sender, where its
 * deadline would run), its rate-limit slot (booked
 * once the share is held), one of the overall attempt slots — always in that order, each given
 * back once — and the request itself inside a `deliver` span — a child of the change's trace
 * (the router's span, or the previous attempt's), with the sender's HTTP client span inside.
 * What the attempt writes afterwards continues that span (the entry's trace is replaced by it).
 */
export class AttemptRunner {
  private running = 0;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly tracer = otelTrace.getTracer('delivery-dispatcher');

  constructor(
    private readonly directory: EndpointDirectory,
    private readonly sender: Pick<WebhookSender, 'send'>,
    private readonly slots: AttemptSlots,
    private readonly metrics: Pick<DispatchMetrics, 'inFlight' | 'attemptDuration'>,
    private readonly snapshotWaitMs: number,
    /** This process's stalls: an attempt's time counts net of them (`LoopStalls`). */
    private readonly stalls: StallClock = NO_STALLS,
    /** Each tenant's share of the slots and of a receiver origin's connections (none: unbounded). */
    private readonly shares: TenantShares | null = null,
  ) {}

  /** Attempts started and not yet handled. */
  get inFlight(): number {
    return this.running;
  }

  /** Resolves when no attempt is in flight. */
  async whenIdle(): Promise<void> {
    if (this.running > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  async endpointFor(d: Delivery): Promise<EndpointFor> {
    const now = this.endpointNow(d);
    if (now) return { kind: 'found', endpoint: now };
    let found: EndpointLookup;
    try {
      found = this.directory.lookup(d.subscriptionId);
      if (found.kind === 'unknown' || (found.kind === 'found' && found.endpoint.version < d.subscriptionVersion)) {
        found = await this.directory.awaitVersion(d.subscriptionId, d.subscriptionVersion, this.snapshotWaitMs);
      }
    } catch (err) {
      const errorMessage = `cannot read the subscription: ${(err as Error).message}`;
      return { kind: 'unreadable', result: { ok: false, durationMs: 0, errorClass: 'invalid', errorMessage } };
    }
    if (found.kind !== 'found') return { kind: 'gone' };
    if (!isDeliverable(found.endpoint.status)) return { kind: 'inactive', status: found.endpoint.status };
    return found;
  }

  /**
   * The endpoint `endpointFor` answers at once, without waiting or reading: known here, at least
   * the delivery's snapshot version, deliverable; null otherwise (`endpointFor` sorts it out).
   */
  endpointNow(d: Delivery): Endpoint | null {
    try {
      const found = this.directory.lookup(d.subscriptionId);
      return found.kind === 'found' && found.endpoint.version >= d.subscriptionVersion && isDeliverable(found.endpoint.status) ? found.endpoint : null;
    } catch {
      return null;
    }
  }

  /**
   * Waits for the tenant's share of the endpoint's origin, the first of an attempt's waits, as a
   * plain record (`TenantShares.reserveOrigin`; on the lane's `shareWaits` like the rest of the
   * wait, so it may be given up): `then` is called with since when it waited (the active clock)
   * once the share is held — `attempt(…, originSince)` goes on from there —, or with null if the
   * wait was given up. Without shares, at once.
   */
  waitForOrigin(lane: Lane, e: Entry, ep: Endpoint, then: (since: number | null) => void): void {
    const since = activeNow(this.stalls);
    if (!this.shares) return then(since);
    const waiting: ShareWaiting = { since, entry: e };
    lane.shareWaits.add(waiting);
    this.shares.reserveOrigin(ep.tenantId, originOf(ep.url), waiting, (held) => {
      lane.shareWaits.delete(waiting);
      then(held ? waiting.since : null);
    });
  }

  /**
   * Sends `e` to `ep` and hands the result to `then`; the attempt counts as in flight until
   * `then` is done (shutdown waits for both). `originSince`: the tenant's share of the origin is
   * held already (`waitForOrigin`, waited for since then).
   */
  async attempt(
    lane: Lane,
    e: Entry,
    ep: Endpoint,
    then: (result: AttemptResult, startedAt: Date) => Promise<void>,
    originSince?: number,
  ): Promise<'sent' | 'not-sent' | 'hook-changed'> {
    // Shutting down, or its source partition went to another dispatcher while this attempt waited: not sent.
    const notWanted = () => this.stopped || e.letGo === true;
    // The rate-limit slot is booked once the tenant's share is held, not before: attempts booked
    // a slot apart and then queued for the share (the tenant's other hooks hold it) would all
    // be handed it at once when those end — a burst over the hook's rate limit. The sleep holds
    // the tenant's own tokens (of its slots and of the origin; a hook at most its in-flight cap
    // of them), but not yet a token of the origin's pool, which every tenant shares: a tenant's
    // sleeping rate-limited hooks would otherwise keep idle sockets from everyone on that host.
    // Not a lock: the sleep ends by itself, so the order of what is waited for (origin share →
    // tenant share → pool token → overall slot) is unchanged and nothing can wait in a cycle.
    const rateSlot = async () => {
      if (ep.rateLimitPerSec && !notWanted()) {
        const wait = lane.reserveRateSlot(Math.max(ep.rateLimitPerSec, MIN_RATE_LIMIT_PER_SEC), Date.now());
        if (wait > 0) await sleep(wait);
      }
      // Off the lane's waits while it slept, nobody gave the wait up if its partition was revoked
      // or shutdown began meanwhile: it looks once awake, before it waits for its bytes and a token.
      if (notWanted()) throw NOT_WANTED;
    };
    let releaseShare: (() => void) | null;
    try {
      releaseShare = await this.shareFor(lane, e, ep, rateSlot, originSince);
    } catch (err) {
      if (err !== NOT_WANTED) throw err;
      releaseShare = () => undefined; // nothing held: it is let go below, as one found unwanted after its waits
    }
    // The wait was given up (`ShareWaiting.cancel`): whoever gave it up took the delivery over.
    if (!releaseShare) return 'not-sent';
    let slotHeld = false;
    let activeStart: number | null = null;
    // Everything taken for the attempt, given back once (after the request, or on any way out).
    const release = () => {
      if (slotHeld) this.slots.release();
      slotHeld = false;
      releaseShare();
      if (activeStart !== null) {
        lane.startedAt.delete(activeStart);
        this.metrics.inFlight.dec();
      }
      activeStart = null;
    };
    try {
      if (!notWanted()) {
        await this.slots.acquire();
        slotHeld = true;
      }
      if (notWanted()) {
        if (e.letGo) e.finish(); // as `DeliveryEngine.forgetPartitions` lets go of what its lane queued
        return 'not-sent';
      }
      // The hook as it is now: the waits above can be long (a fan-out behind the tenant's share of
      // the origin), and a hook paused, deleted or re-pointed meanwhile must not get the request
      // at the URL, with the headers or secrets, it had when the attempt was taken from its lane.
      // Another origin's share is not the one held: the caller starts over for it.
      const current = this.endpointNow(e.delivery);
      if (!current || (current !== ep && originOf(current.url) !== originOf(ep.url))) return 'hook-changed';
      await this.send(lane, e, current, then, release, (at) => {
        activeStart = at;
        this.metrics.inFlight.inc();
      });
      return 'sent';
    } finally {
      release();
    }
  }

  /** Starts no attempt from now on (`DeliveryEngine.drain`): one waiting for its share, its rate-limit slot or a slot is not sent. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * The tenant's share of the receiver's origin, of the slots and of its bytes running from the
   * partition (`TenantShares`); while it waits,
   * the lane's pace counts the wait, and the wait may be given up (null).
   */
  private async shareFor(
    lane: Lane,
    e: Entry,
    ep: Endpoint,
    rateSlot: () => Promise<void>,
    originSince?: number,
  ): Promise<(() => void) | null> {
    if (!this.shares) {
      await rateSlot();
      return () => undefined;
    }
    const waiting: ShareWaiting = { since: originSince ?? activeNow(this.stalls), entry: e };
    lane.shareWaits.add(waiting);
    try {
      // The rate-limit sleep is not a wait for the share (the lane's pace, the tenant hold's trim).
      const beforePool = async () => {
        lane.shareWaits.delete(waiting);
        await rateSlot();
        waiting.since = activeNow(this.stalls);
        lane.shareWaits.add(waiting);
      };
      return await this.shares.acquire(ep.tenantId, originOf(ep.url), waiting, beforePool, originSince !== undefined, bytesOf(e));
    } finally {
      lane.shareWaits.delete(waiting);
    }
  }

  private async send(
    lane: Lane,
    e: Entry,
    ep: Endpoint,
    then: (result: AttemptResult, startedAt: Date) => Promise<void>,
    release: () => void,
    onStart: (activeStart: number) => void,
  ): Promise<void> {
    const d = e.delivery;
    const startedAt = new Date();
    const started = startedAt.getTime();
    const stalledBefore = this.stalls.stalledMs();
    // On the clock that stands still while this process stalls (the lane's hanging check).
    const activeStart = lane.attemptStarted(started - stalledBefore);
    onStart(activeStart);
    this.running++;
    try {
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
        result = await otelContext.with(otelTrace.setSpan(parent, span), () =>
          this.sender.send({
            url: ep.url,
            method: ep.method,
            headers: { ...d.headers, ...ep.headers },
            body: d.body,
            contentType: d.contentType,
            timeoutMs: ep.timeoutMs,
            successContract: ep.successContract,
            basicAuth: ep.basicAuth,
            signing: { id: d.eventId, timestamp: startedAt, secrets: activeSecrets(ep, started) },
          }),
        );
      } finally {
        release();
      }
      if (result.httpStatus !== undefined) span.setAttribute('http.response.status_code', result.httpStatus);
      if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorClass });
      span.end();
      const carrier: Record<string, string> = {};
      propagation.inject(otelTrace.setSpan(parent, span), carrier);
      if (carrier[Headers.TraceParent]) e.trace = carrier;
      lane.timingOut = result.errorClass === 'timeout';
      // The receiver's time, as far as it can be told: not the time its answer waited for us.
      lane.recordAttempt(Math.max(0, result.durationMs - (this.stalls.stalledMs() - stalledBefore)));
      this.metrics.attemptDuration.observe(result.durationMs / 1000);
      await then(result, startedAt);
    } finally {
      this.running--;
      if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}

/** What the entry's attempt weighs against its tenant's byte hold on its partition: its message's key and value, as the consumer counts them. */
function bytesOf(e: Entry): AttemptBytes {
  return { partition: partitionKeyOf(e.source), bytes: e.source.bytes };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
