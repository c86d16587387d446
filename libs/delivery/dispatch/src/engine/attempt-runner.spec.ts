import { randomBytes } from 'node:crypto';
import type { SubscriptionSnapshot } from '@herald/contracts';
import { SecretBox } from '@herald/platform/crypto';
import { MetricsRegistry } from '@herald/platform/observability';
import { subscriptionSnapshotFixture } from '@herald/platform/testing';
import type { AttemptResult, WebhookRequest } from '@herald/delivery/sending';
import { dispatchMetrics } from '../dispatch-metrics';
import { EndpointDirectory, type Endpoint } from '../endpoint-directory';
import { AttemptRunner } from './attempt-runner';
import { AttemptSlots, Lane } from './lanes';
import { NO_STALLS, type StallClock } from './loop-stalls';
import { TenantShares } from './tenant-shares';
import { deliveryFixture, entryFixture } from './testing';

const box = SecretBox.fromSpec(randomBytes(32).toString('base64'));
const snapshot = (over: Partial<SubscriptionSnapshot> = {}) =>
  subscriptionSnapshotFixture({
    id: 'sub-A',
    tenantId: 't',
    url: 'https://hooks.example/in',
    authorization: box.encrypt('Bearer t0k'),
    signingSecrets: [{ secret: box.encrypt('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), expiresAt: null }],
    ...over,
  });

function setup(snapshots: SubscriptionSnapshot[], slots = 8, stalls: StallClock = NO_STALLS) {
  const held = new Map(snapshots.map((s) => [s.id, s]));
  const directory = new EndpointDirectory({ get: (id: string) => held.get(id), onChange: () => undefined }, box);
  const sent: { req: WebhookRequest; answer: (r: Partial<AttemptResult>) => void }[] = [];
  const sender = { send: (req: WebhookRequest) => new Promise<AttemptResult>((resolve) => sent.push({ req, answer: (r) => resolve({ ok: false, durationMs: 3, ...r }) })) };
  const metrics = dispatchMetrics(new MetricsRegistry('test'));
  const runner = new AttemptRunner(directory, sender, new AttemptSlots(slots), metrics, 10, stalls);
  return { runner, sent, metrics, directory };
}
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setImmediate(r));
};

describe('AttemptRunner', () => {
  it('finds the endpoint, or says the hook is gone, inactive or unreadable', async () => {
    const foreign = SecretBox.fromSpec(randomBytes(32).toString('base64'));
    const t = setup([snapshot(), snapshot({ id: 'sub-off', status: 'disabled' }), snapshot({ id: 'sub-x', authorization: foreign.encrypt('Bearer no') })]);
    expect(await t.runner.endpointFor(deliveryFixture())).toMatchObject({ kind: 'found', endpoint: { id: 'sub-A', headers: { authorization: 'Bearer t0k' } } });
    expect(await t.runner.endpointFor(deliveryFixture({ subscriptionId: 'sub-gone' }))).toEqual({ kind: 'gone' });
    expect(await t.runner.endpointFor(deliveryFixture({ subscriptionId: 'sub-off' }))).toEqual({ kind: 'inactive', status: 'disabled' });
    expect(await t.runner.endpointFor(deliveryFixture({ subscriptionId: 'sub-x' }))).toMatchObject({
      kind: 'unreadable',
      result: { ok: false, durationMs: 0, errorClass: 'invalid', errorMessage: expect.stringMatching(/^cannot read the subscription: /) },
    });
  });

  it('sends with the endpoint settings and signing, counts the attempt in flight until its result is handled', async () => {
    const t = setup([snapshot({ timeoutMs: 7_000 })]);
    const found = await t.runner.endpointFor(deliveryFixture());
    const ep = (found as { endpoint: Endpoint }).endpoint;
    const lane = new Lane('sub-A');
    const e = entryFixture(deliveryFixture({ headers: { 'x-format': 'v2' } }));
    let release!: () => void;
    const handled: AttemptResult[] = [];
    const attempt = t.runner.attempt(lane, e, ep, async (result) => {
      handled.push(result);
      await new Promise<void>((r) => (release = r));
    });
    await until(() => t.sent.length === 1);
    expect(t.sent[0].req).toMatchObject({
      url: 'https://hooks.example/in',
      method: 'POST',
      timeoutMs: 7_000,
      body: e.delivery.body,
      headers: { 'x-format': 'v2', authorization: 'Bearer t0k' },
      signing: { id: e.delivery.eventId, secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] },
    });
    expect(lane.startedAt.size).toBe(1);
    expect(t.runner.inFlight).toBe(1);
    let idle = false;
    const whenIdle = t.runner.whenIdle().then(() => (idle = true));
    t.sent[0].answer({ errorClass: 'timeout', durationMs: 7_000 });
    await until(() => handled.length === 1);
    expect(lane.startedAt.size).toBe(0);
    expect(lane.timingOut).toBe(true);
    expect(idle).toBe(false);
    release();
    await attempt;
    await whenIdle;
    expect(t.runner.inFlight).toBe(0);
  });

  it('records an attempt\'s time net of this process\'s stalls meanwhile, and its start on the clock that stands still during them', async () => {
    const stalled = { ms: 2_000 };
    const t = setup([snapshot()], 8, { stalledMs: () => stalled.ms });
    const ep = ((await t.runner.endpointFor(deliveryFixture())) as { endpoint: Endpoint }).endpoint;
    const lane = new Lane('sub-A');
    const before = Date.now();
    const attempt = t.runner.attempt(lane, entryFixture(), ep, async () => undefined);
    await until(() => t.sent.length === 1);
    const [start] = [...lane.startedAt];
    expect(start).toBeLessThanOrEqual(Date.now() - 2_000);
    expect(start).toBeGreaterThanOrEqual(before - 2_000);
    stalled.ms += 1_450; // the answer came at once; it waited 1.45 s for this process to run
    t.sent[0].answer({ ok: true, httpStatus: 200, durationMs: 1_500 });
    await attempt;
    expect(lane.attemptMs).toBe(50);
    expect(lane.startedAt.size).toBe(0);
  });

  it('counts two attempts of a lane that start in the same millisecond as two: when one ends the other still runs', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'], now: 1_765_000_000_000 });
    try {
      const t = setup([snapshot()]);
      const ep = ((await t.runner.endpointFor(deliveryFixture())) as { endpoint: Endpoint }).endpoint;
      const lane = new Lane('sub-A');
      const first = t.runner.attempt(lane, entryFixture(), ep, async () => undefined);
      const second = t.runner.attempt(lane, entryFixture(), ep, async () => undefined);
      await until(() => t.sent.length === 2);
      expect(lane.startedAt.size).toBe(2);
      t.sent[0].answer({ ok: true, httpStatus: 200 });
      await first;
      expect(lane.startedAt.size).toBe(1);
      jest.setSystemTime(Date.now() + 5_000);
      expect(lane.isHanging(Date.now(), 4_000)).toBe(true);
      t.sent[1].answer({ ok: true, httpStatus: 200 });
      await second;
      expect(lane.startedAt.size).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('holds an attempt until one of the overall slots is free', async () => {
    const t = setup([snapshot(), snapshot({ id: 'sub-B' })], 1);
    const epOf = async (id: string) => ((await t.runner.endpointFor(deliveryFixture({ subscriptionId: id }))) as { endpoint: Endpoint }).endpoint;
    const [a, b] = [await epOf('sub-A'), await epOf('sub-B')];
    const first = t.runner.attempt(new Lane('sub-A'), entryFixture(), a, async () => undefined);
    const second = t.runner.attempt(new Lane('sub-B'), entryFixture(deliveryFixture({ subscriptionId: 'sub-B' })), b, async () => undefined);
    await until(() => t.sent.length === 1);
    await new Promise((r) => setImmediate(r));
    expect(t.sent).toHaveLength(1);
    t.sent[0].answer({ ok: true, httpStatus: 200 });
    await until(() => t.sent.length === 2);
    t.sent[1].answer({ ok: true, httpStatus: 200 });
    await Promise.all([first, second]);
    expect(t.sent.map((s) => s.req.url)).toEqual(['https://hooks.example/in', 'https://hooks.example/in']);
  });

  it('gives its tenant\'s share and its slot back once when the request throws, and waits for the share without counting as running', async () => {
    const held = new Map([snapshot()].map((x) => [x.id, x]));
    const directory = new EndpointDirectory({ get: (id: string) => held.get(id), onChange: () => undefined }, box);
    const calls: WebhookRequest[] = [];
    let fail = true;
    const sender = {
      send: async (req: WebhookRequest): Promise<AttemptResult> => {
        calls.push(req);
        if (fail) throw new Error('the socket blew up');
        return { ok: true, httpStatus: 200, durationMs: 1 };
      },
    };
    const shares = new TenantShares({ maxInFlightPerTenant: 1, connectionsPerOriginPerTenant: 1 });
    const runner = new AttemptRunner(directory, sender, new AttemptSlots(1), dispatchMetrics(new MetricsRegistry('test')), 10, NO_STALLS, shares);
    const ep = ((await runner.endpointFor(deliveryFixture())) as { endpoint: Endpoint }).endpoint;
    const lane = new Lane('sub-A');
    const hold = await shares.acquire('t', 'https://hooks.example'); // the tenant's share is taken
    const first = runner.attempt(lane, entryFixture(), ep, async () => undefined);
    await until(() => lane.shareWaits.size === 1);
    expect(runner.inFlight).toBe(0);
    expect(lane.startedAt.size).toBe(0);
    hold();
    await expect(first).rejects.toThrow('the socket blew up');
    expect(lane.shareWaits.size).toBe(0);
    expect(lane.startedAt.size).toBe(0);
    expect(shares.tenantsKnown).toBe(0);
    // The share and the one slot were given back, each once: the next attempt runs, alone.
    fail = false;
    let handled = 0;
    await runner.attempt(lane, entryFixture(), ep, async () => void handled++);
    expect([calls.length, handled, shares.tenantsKnown, runner.inFlight]).toEqual([2, 1, 0, 0]);
  });

  it('books its rate-limit slot once it holds its tenant\'s share; let go or shut down during the sleep, it is not sent and gives the share back', async () => {
    const held = new Map([snapshot({ rateLimitPerSec: 1 })].map((x) => [x.id, x]));
    const directory = new EndpointDirectory({ get: (id: string) => held.get(id), onChange: () => undefined }, box);
    const sent: WebhookRequest[] = [];
    const sender = {
      send: async (req: WebhookRequest): Promise<AttemptResult> => {
        sent.push(req);
        return { ok: true, httpStatus: 200, durationMs: 1 };
      },
    };
    const shares = new TenantShares({ maxInFlightPerTenant: 4, connectionsPerOriginPerTenant: 4 });
    const runner = new AttemptRunner(directory, sender, new AttemptSlots(8), dispatchMetrics(new MetricsRegistry('test')), 10, NO_STALLS, shares);
    const ep = ((await runner.endpointFor(deliveryFixture())) as { endpoint: Endpoint }).endpoint;
    // Let go while sleeping for its slot: not sent, finished (as what its lane queued).
    const lane = new Lane('sub-A');
    const slotAt = Date.now() + 400;
    lane.nextSlotAt = slotAt;
    const e = entryFixture();
    const first = runner.attempt(lane, e, ep, async () => undefined);
    await until(() => shares.heldBy('t') === 1);
    expect(shares.heldBy('t')).toBe(1); // the share is held during the sleep: the slot was booked after it was taken
    expect(lane.nextSlotAt).toBe(slotAt + 1_000);
    e.letGo = true;
    await first;
    expect([sent.length, e.finished(), shares.tenantsKnown]).toEqual([0, 1, 0]);
    // Shut down while sleeping for its slot: not sent, not finished (handed back).
    const other = new Lane('sub-A');
    other.nextSlotAt = Date.now() + 100;
    const e2 = entryFixture();
    const second = runner.attempt(other, e2, ep, async () => undefined);
    await until(() => shares.heldBy('t') === 1);
    runner.stop();
    await second;
    expect([sent.length, e2.finished(), shares.tenantsKnown, runner.inFlight]).toEqual([0, 0, 0, 0]);
  });
});
