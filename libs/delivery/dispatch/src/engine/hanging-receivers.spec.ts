import type { Delivery, TopicSpec } from '@herald/contracts';
import { MetricsRegistry } from '@herald/platform/observability';
import { DispatchMetrics } from '../dispatch-metrics';
import type { Endpoint } from '../endpoint-directory';
import { HangingReceivers } from './hanging-receivers';
import { Lane } from './lanes';
import { entryFixture } from './testing';

const settings = { maxInFlightPerSubscription: 4, spillQueueLength: 2, spillAfterMs: 1_000 };

function setup(endpoint: Partial<Endpoint> | null = { deliveryMode: 'independent', timeoutMs: 30_000 }) {
  const forwarded: { topic: TopicSpec; id: string; attempt: number; dueAt: number }[] = [];
  const metrics = new DispatchMetrics(new MetricsRegistry('test'));
  const hanging = new HangingReceivers(settings, () => endpoint as Endpoint | null, {
    forward: async (topic: TopicSpec, d: Delivery, dueAt: number) => void forwarded.push({ topic, id: d.deliveryId, attempt: d.attempt, dueAt }),
  }, metrics);
  return { hanging, forwarded, metrics };
}

function hangingLane(now: number) {
  const lane = new Lane('sub-A');
  lane.startedAt.add(now - 2_000);
  return lane;
}

describe('HangingReceivers', () => {
  it('gives a hanging or ordered hook one attempt in flight, a healthy one maxInFlightPerSubscription', () => {
    const t = setup();
    const now = 10_000;
    const healthy = new Lane('sub-A');
    healthy.startedAt.add(now - 500);
    expect(t.hanging.cap(healthy, false, now)).toBe(4);
    expect(t.hanging.cap(healthy, true, now)).toBe(1);
    expect(t.hanging.cap(hangingLane(now), false, now)).toBe(1);
    const timedOut = new Lane('sub-A');
    timedOut.timingOut = true;
    expect(t.hanging.cap(timedOut, false, now)).toBe(1);
  });

  it('spills only a hanging independent hook with a full queue', () => {
    const now = 10_000;
    const full = (lane: Lane) => {
      lane.queue.push(entryFixture(), entryFixture());
      return lane;
    };
    expect(setup().hanging.shouldSpill(full(hangingLane(now)), now)).toBe(true);
    const short = hangingLane(now);
    short.queue.push(entryFixture());
    expect(setup().hanging.shouldSpill(short, now)).toBe(false);
    expect(setup().hanging.shouldSpill(full(new Lane('sub-A')), now)).toBe(false);
    expect(setup({ deliveryMode: 'ordered', timeoutMs: 5_000 }).hanging.shouldSpill(full(hangingLane(now)), now)).toBe(false);
    expect(setup(null).hanging.shouldSpill(full(hangingLane(now)), now)).toBe(false);
  });

  it('spills to the tier of the hook timeout, unattempted, due after it, then finishes and counts it', async () => {
    const t = setup();
    const e = entryFixture();
    const before = Date.now();
    await t.hanging.spill(e);
    expect(t.forwarded).toEqual([{ topic: expect.objectContaining({ name: 'herald.deliveries.retry.30s' }), id: e.delivery.deliveryId, attempt: 1, dueAt: expect.any(Number) }]);
    expect(t.forwarded[0].dueAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(e.finished()).toBe(1);
    expect((await t.metrics.spilled.get()).values[0].value).toBe(1);
  });
});
