import { DeliveryOutcomeSchema, DeliverySchema, Headers, RetryTierTopics, Topics, type TopicSpec } from '@herald/contracts';
import type { RawMessage } from '@herald/platform/kafka';
import { MetricsRegistry } from '@herald/platform/observability';
import { dispatchMetrics } from '../dispatch-metrics';
import type { DeliveryDeadLetters } from './dead-letters';
import { OutcomeWriter } from './outcome-writer';
import { deliveryFixture, entryFixture } from './testing';

const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function setup() {
  const produced: { topic: TopicSpec; message: RawMessage }[] = [];
  const dead: string[] = [];
  const metrics = dispatchMetrics(new MetricsRegistry('test'));
  const deadLetters = { delivery: async (_e: unknown, reason: string, errorClass: string, label: string) => void dead.push(`${label}/${errorClass}: ${reason}`) } as unknown as DeliveryDeadLetters;
  const writer = new OutcomeWriter({ add: async (topic, message) => void produced.push({ topic, message }) }, deadLetters, metrics);
  return { writer, produced, dead, metrics };
}

describe('OutcomeWriter', () => {
  it("writes a step's outcome keyed by the hook, with the delivery's trace and its status counted", async () => {
    const t = setup();
    const e = entryFixture(deliveryFixture({ attempt: 3 }));
    e.trace = { [Headers.TraceParent]: tp };
    const at = new Date('2026-12-01T12:00:00.000Z');
    await t.writer.outcome(e, 'retrying', { ok: false, durationMs: 12, httpStatus: 503, errorClass: 'http_status', errorMessage: 'x'.repeat(2_000), responseExcerpt: 'busy' }, at, new Date(at.getTime() + 5_000));
    expect(t.produced).toHaveLength(1);
    const [{ topic, message }] = t.produced;
    expect(topic).toBe(Topics.DeliveryOutcomes);
    expect(message.key).toBe('sub-A');
    expect(message.headers).toEqual({ [Headers.Schema]: 'delivery-outcome/1', [Headers.TraceParent]: tp });
    const outcome = JSON.parse(String(message.value));
    expect(outcome).toMatchObject({
      deliveryId: e.delivery.deliveryId,
      status: 'retrying',
      attempt: 3,
      at: at.toISOString(),
      httpStatus: 503,
      durationMs: 12,
      errorClass: 'http_status',
      responseExcerpt: 'busy',
      nextAttemptAt: '2026-12-01T12:00:05.000Z',
      // The delivery log files every outcome of a delivery under its routing time.
      routedAt: e.delivery.routedAt,
      origin: 'event',
    });
    expect(outcome.errorMessage).toHaveLength(1_000);
    // Encoded without a second parse (encodeOwn): what is built must be what the schema gives back.
    expect(DeliveryOutcomeSchema.parse(outcome)).toEqual(outcome);
    expect((await t.metrics.deliveries.get()).values).toEqual([expect.objectContaining({ labels: { status: 'retrying' }, value: 1 })]);
  });

  it('forwards a delivery to a tier with its due time and trace', async () => {
    const t = setup();
    const d = deliveryFixture();
    await t.writer.forward(RetryTierTopics[2], d, 1_234, { [Headers.TraceParent]: tp });
    expect(t.produced[0].topic).toBe(RetryTierTopics[2]);
    expect(t.produced[0].message.headers).toEqual({ [Headers.Schema]: 'delivery/1', [Headers.TraceParent]: tp, [Headers.DueAt]: '1234', [Headers.ReleaseAt]: '1234' });
    expect(JSON.parse(String(t.produced[0].message.value))).toEqual(d);
    expect(DeliverySchema.parse(d)).toEqual(d);
  });

  it('has a tier hand a longer wait over after the tier\'s own delay (it hops on from there), or with a pipe\'s head', async () => {
    const t = setup();
    const before = Date.now();
    const dueAt = before + 3_599_000;
    await t.writer.forward(RetryTierTopics[2], deliveryFixture(), dueAt, {}); // 30s tier
    const release = Number(t.produced[0].message.headers?.[Headers.ReleaseAt]);
    expect(release).toBeGreaterThanOrEqual(before + 30_000);
    expect(release).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(t.produced[0].message.headers?.[Headers.DueAt]).toBe(String(dueAt));
    await t.writer.forward(RetryTierTopics[2], deliveryFixture(), dueAt, {}, before + 7);
    expect(t.produced[1].message.headers?.[Headers.ReleaseAt]).toBe(String(before + 7));
  });

  it('ends a delivery without an attempt: attempt 0 in its outcome, the DLQ when asked, then finished', async () => {
    const t = setup();
    const gone = entryFixture();
    await t.writer.endWithoutAttempt(gone, 'discarded', 'subscription_gone', 'the subscription was deleted');
    const expired = entryFixture();
    await t.writer.endWithoutAttempt(expired, 'failed', 'expired', 'the hook expired', true);
    expect(t.produced.map((p) => JSON.parse(String(p.message.value)))).toMatchObject([
      { status: 'discarded', attempt: 0, errorClass: 'subscription_gone', errorMessage: 'the subscription was deleted', durationMs: 0 },
      { status: 'failed', attempt: 0, errorClass: 'expired' },
    ]);
    expect(t.dead).toEqual(['exhausted/expired: the hook expired']);
    expect([gone.finished(), expired.finished()]).toEqual([1, 1]);
  });

  it('a delivery the broker refused to take into a tier (dead-lettered by the batcher) is logged as failed, with the reason; other topics are not deliveries', async () => {
    const t = setup();
    const d = deliveryFixture({ attempt: 2 });
    const message: RawMessage = { key: d.subscriptionId, value: JSON.stringify(d), headers: { [Headers.TraceParent]: tp } };
    await t.writer.refusedByBroker(RetryTierTopics[1], message, 'the broker refused it (kafka MESSAGE_TOO_LARGE, 1300000 bytes uncompressed)');
    expect(t.produced).toHaveLength(1);
    expect(t.produced[0].topic).toBe(Topics.DeliveryOutcomes);
    expect(t.produced[0].message.headers?.[Headers.TraceParent]).toBe(tp);
    expect(JSON.parse(String(t.produced[0].message.value))).toMatchObject({
      deliveryId: d.deliveryId,
      status: 'failed',
      attempt: 0,
      errorClass: 'invalid',
      errorMessage: 'not retried: the broker refused it (kafka MESSAGE_TOO_LARGE, 1300000 bytes uncompressed)',
    });
    expect(t.writer.refusedByBroker(Topics.DeliveryOutcomes, message, 'x')).toBeUndefined();
    expect(t.writer.refusedByBroker(Topics.Deliveries, { key: 'k', value: 'not a delivery' }, 'x')).toBeUndefined();
  });

  it('cuts an error message at 1,000 characters without splitting a character, and makes it safe text', async () => {
    const t = setup();
    await t.writer.outcome(entryFixture(), 'retrying', { ok: false, durationMs: 1, errorMessage: `${'a'.repeat(999)}😀\u0000` }, new Date());
    const outcome = JSON.parse(String(t.produced[0].message.value)) as { errorMessage: string };
    expect(outcome.errorMessage).toBe('a'.repeat(999));
  });
});
