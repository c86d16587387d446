import { RetryTierTopics, Topics, type Delivery, type TopicSpec } from '@herald/contracts';
import type { AttemptResult } from '@herald/delivery/sending';
import { Lane } from './lanes';
import { OrderedMode } from './ordered-mode';
import { LOST_HEAD_GRACE_MS, OrderedPipe } from './ordered-pipe';
import type { OutcomeWriter } from './outcome-writer';
import { deliveryFixture, entryFixture } from './testing';

const [tier1, tier5] = RetryTierTopics;
const failed: AttemptResult = { ok: false, durationMs: 3, httpStatus: 500, errorClass: 'http_status' };

function setup(guardMs?: number) {
  const forwarded: { topic: TopicSpec; id: string; attempt: number; dueAt: number }[] = [];
  const outcomes: { id: string; status: string }[] = [];
  const ended: { id: string; status: string; errorClass: string; toDlq: boolean }[] = [];
  const writer = {
    forward: async (topic: TopicSpec, d: Delivery, dueAt: number) => void forwarded.push({ topic, id: d.deliveryId, attempt: d.attempt, dueAt }),
    outcome: async (e: { delivery: Delivery }, status: string) => void outcomes.push({ id: e.delivery.deliveryId, status }),
    endWithoutAttempt: async (e: { delivery: Delivery; finish: () => void }, status: string, errorClass: string, _m: string, toDlq = false) => {
      ended.push({ id: e.delivery.deliveryId, status, errorClass, toDlq });
      e.finish();
    },
  } as unknown as OutcomeWriter;
  return { mode: new OrderedMode(writer, guardMs), forwarded, outcomes, ended, lane: new Lane('sub-A') };
}
const flush = () => new Promise((r) => setImmediate(r));

/** A pipe on tier1 whose head (attempt 2) came back and is being attempted, `outstanding` messages out before. */
function headBeingAttempted(lane: Lane, outstanding: number) {
  const head = deliveryFixture({ attempt: 2 });
  const pipe = (lane.pipe = new OrderedPipe(tier1, head.deliveryId, 2, Date.now(), outstanding));
  const headEntry = entryFixture(head, tier1);
  lane.pipe.route(headEntry, Date.now());
  return { head, pipe, headEntry };
}

describe('OrderedMode', () => {
  it('parks a failed head with everything queued behind it, in order, and writes its retrying outcome', async () => {
    const t = setup();
    const head = entryFixture();
    const [q1, q2] = [entryFixture(), entryFixture()];
    t.lane.queue.push(q1, q2);
    const next = { ...head.delivery, attempt: 2 };
    await t.mode.repark(t.lane, head, next, tier1, 5_000, failed, new Date());
    expect(t.forwarded.map((f) => [f.topic, f.id, f.attempt, f.dueAt])).toEqual([
      [tier1, head.delivery.deliveryId, 2, 5_000],
      [tier1, q1.delivery.deliveryId, 1, 5_000],
      [tier1, q2.delivery.deliveryId, 1, 5_000],
    ]);
    expect(t.outcomes).toEqual([{ id: head.delivery.deliveryId, status: 'retrying' }]);
    expect(t.lane.queue).toEqual([]);
    expect(t.lane.pipe).toMatchObject({ headTopic: tier1, headId: head.delivery.deliveryId, headAttempt: 2, dueAt: 5_000, outstanding: 3 });
    expect([head, q1, q2].map((e) => e.finished())).toEqual([1, 1, 1]);
  });

  it('routes what arrives while the head is parked: forwarded behind it (finished once written), stale copies dropped', async () => {
    const t = setup();
    const head = deliveryFixture({ attempt: 2 });
    const pipe = (t.lane.pipe = new OrderedPipe(tier1, head.deliveryId, 2, Date.now(), 1));
    const later = entryFixture();
    expect(t.mode.offer(t.lane, pipe, later)).toBe(false);
    await flush();
    expect(t.forwarded.map((f) => f.id)).toEqual([later.delivery.deliveryId]);
    expect(later.finished()).toBe(1);
    const copy = entryFixture({ ...head, attempt: 1 }, tier1);
    expect(t.mode.offer(t.lane, pipe, copy)).toBe(false);
    expect(copy.finished()).toBe(1);
    // The head comes back: attempted first, before anything already queued.
    const queued = entryFixture();
    t.lane.queue.push(queued);
    const back = entryFixture(head, tier1);
    expect(t.mode.offer(t.lane, pipe, back)).toBe(true);
    expect(t.lane.queue).toEqual([back, queued]);
  });

  it('a head that fails again waits for its followers, then moves with them and what arrived meanwhile', async () => {
    const t = setup();
    const { head, pipe, headEntry } = headBeingAttempted(t.lane, 2);
    let moved = false;
    const reparking = t.mode.repark(t.lane, headEntry, { ...head, attempt: 3 }, tier5, 9_000, failed, new Date()).then(() => (moved = true));
    const meanwhile = entryFixture();
    expect(t.mode.offer(t.lane, pipe, meanwhile)).toBe(true); // held behind the follower
    await flush();
    expect(moved).toBe(false);
    const follower = entryFixture(deliveryFixture(), tier1);
    t.mode.offer(t.lane, pipe, follower);
    await reparking;
    expect(t.forwarded.map((f) => [f.topic, f.id])).toEqual([
      [tier5, head.deliveryId],
      [tier5, follower.delivery.deliveryId],
      [tier5, meanwhile.delivery.deliveryId],
    ]);
    expect(t.lane.pipe).toMatchObject({ headTopic: tier5, headAttempt: 3, outstanding: 3 });
  });

  it("gives up on followers that do not come back within the guard, and moves on", async () => {
    const t = setup(10);
    const head = deliveryFixture({ attempt: 2 });
    t.lane.pipe = new OrderedPipe(tier1, head.deliveryId, 2, Date.now(), 3);
    t.lane.pipe.headTaken = true;
    await t.mode.repark(t.lane, entryFixture(head, tier1), { ...head, attempt: 3 }, tier5, 9_000, failed, new Date());
    expect(t.lane.pipe).toMatchObject({ headTopic: tier5, outstanding: 1 });
  });

  it('closes the pipe once the head ended and every follower came back, queueing what was held', () => {
    const t = setup();
    const { pipe, headEntry } = headBeingAttempted(t.lane, 2);
    const held = entryFixture();
    t.mode.offer(t.lane, pipe, held);
    t.mode.headEnded(t.lane, headEntry);
    expect(t.lane.pipe).toBe(pipe);
    const follower = entryFixture(deliveryFixture(), tier1);
    t.mode.offer(t.lane, pipe, follower);
    expect(t.lane.queue).toEqual([follower, held]);
    expect(t.lane.pipe).toBeNull();
  });

  it('an expired head: what is queued ends with it, and followers still in the pipe end as they come back', async () => {
    const t = setup();
    const { pipe, headEntry } = headBeingAttempted(t.lane, 2);
    const queued = entryFixture();
    t.lane.queue.push(queued);
    await t.mode.expire(t.lane, 'failed', true);
    expect(pipe.exhaust).toEqual({ status: 'failed', toDlq: true });
    t.mode.headEnded(t.lane, headEntry);
    const follower = entryFixture(deliveryFixture(), tier1);
    expect(t.mode.offer(t.lane, pipe, follower)).toBe(true);
    await flush();
    expect(t.ended).toEqual([
      { id: queued.delivery.deliveryId, status: 'failed', errorClass: 'expired', toDlq: true },
      { id: follower.delivery.deliveryId, status: 'failed', errorClass: 'expired', toDlq: true },
    ]);
    expect(t.lane.pipe).toBeNull();
  });

  it('releases the pipe of a head that never came back', () => {
    const t = setup();
    const pipe = (t.lane.pipe = new OrderedPipe(tier1, 'lost', 2, Date.now() - LOST_HEAD_GRACE_MS - 1, 1));
    const e = entryFixture(deliveryFixture(), Topics.Deliveries);
    expect(t.mode.offer(t.lane, pipe, e)).toBe(true);
    expect(t.lane.pipe).toBeNull();
    expect(t.lane.queue).toEqual([e]);
  });
});
