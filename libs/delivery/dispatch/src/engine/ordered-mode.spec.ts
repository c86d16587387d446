import { RetryTierTopics, Topics, type Delivery, type TopicSpec } from '@herald/contracts';
import type { AttemptResult } from '@herald/delivery/sending';
import { Lane } from './lanes';
import { OrderedMode } from './ordered-mode';
import { LOST_HEAD_GRACE_MS, OrderedPipe } from './ordered-pipe';
import type { OutcomeWriter } from './outcome-writer';
import { deliveryFixture, entryFixture } from './testing';

const [tier1, tier5] = RetryTierTopics;
const failed: AttemptResult = { ok: false, durationMs: 3, httpStatus: 500, errorClass: 'http_status' };

function setup(overflow: (lane: Lane) => number | null = () => null) {
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
  return { mode: new OrderedMode(writer, overflow), forwarded, outcomes, ended, lane: new Lane('sub-A') };
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
    // The head comes back: behind what the lane still holds (older than anything in the pipe).
    const queued = entryFixture();
    t.lane.queue.push(queued);
    const back = entryFixture(head, tier1);
    expect(t.mode.offer(t.lane, pipe, back)).toBe(true);
    expect(t.lane.queue).toEqual([queued, back]);
  });

  it('a head that fails again moves at once with what the lane holds; followers still out roll on behind it, then what arrived meanwhile', async () => {
    const t = setup();
    const { head, pipe, headEntry } = headBeingAttempted(t.lane, 3);
    const back = entryFixture(deliveryFixture(), tier1);
    t.mode.offer(t.lane, pipe, back); // one follower came back while the head was being attempted
    const meanwhile = entryFixture();
    expect(t.mode.offer(t.lane, pipe, meanwhile)).toBe(true); // held behind the follower still out
    await t.mode.repark(t.lane, headEntry, { ...head, attempt: 3 }, tier5, 9_000, failed, new Date());
    expect(t.forwarded.map((f) => [f.topic, f.id, f.attempt])).toEqual([
      [tier5, head.deliveryId, 3],
      [tier5, back.delivery.deliveryId, 1],
    ]);
    expect(t.outcomes).toEqual([{ id: head.deliveryId, status: 'retrying' }]);
    expect(pipe.rollTo).toMatchObject({ headTopic: tier5, headId: head.deliveryId, headAttempt: 3, outstanding: 2 });
    // The last follower comes back: it rolls on into the new pipe, then what was held; the new pipe is the hook's now.
    const last = entryFixture(deliveryFixture(), tier1);
    t.mode.offer(t.lane, pipe, last);
    await flush();
    expect(t.forwarded.slice(2).map((f) => [f.topic, f.id])).toEqual([
      [tier5, last.delivery.deliveryId],
      [tier5, meanwhile.delivery.deliveryId],
    ]);
    expect(t.lane.pipe).toBe(pipe.rollTo);
    expect(t.lane.pipe).toMatchObject({ outstanding: 4, headTaken: false });
    expect(t.lane.queue).toEqual([]);
    expect([last, meanwhile].map((e) => e.finished())).toEqual([1, 1]);
  });

  it('a full lane rolls the followers coming back on into a next pipe; its messages, older than what is still out, may be sent first', async () => {
    let full = false;
    const t = setup(() => (full ? 60_000 : null));
    const { pipe } = headBeingAttempted(t.lane, 4);
    const f1 = entryFixture(deliveryFixture(), tier1);
    t.mode.offer(t.lane, pipe, f1);
    expect(t.lane.queue.map((e) => e.delivery.deliveryId)).toEqual([f1.delivery.deliveryId]);
    full = true;
    const [f2, f3] = [entryFixture(deliveryFixture(), tier1), entryFixture(deliveryFixture(), tier1)];
    t.mode.offer(t.lane, pipe, f2);
    const held = entryFixture();
    t.mode.offer(t.lane, pipe, held);
    t.mode.offer(t.lane, pipe, f3);
    await flush();
    const next = pipe.rollTo!;
    expect(next).toMatchObject({ headId: f2.delivery.deliveryId, headAttempt: 1, dueAt: 60_000 });
    expect(t.forwarded.map((f) => f.id)).toEqual([f2, f3, held].map((e) => e.delivery.deliveryId));
    expect(t.lane.pipe).toBe(next);
    // Coming back, the next pipe's head goes into the lane behind f1.
    t.mode.offer(t.lane, next, entryFixture(f2.delivery, next.headTopic));
    expect(t.lane.queue.map((e) => e.delivery.deliveryId)).toEqual([f1, f2].map((e) => e.delivery.deliveryId));
  });

  it('a head that fails while a pipe a full lane parked is still out: the new pipe goes first, the parked one rolls on behind it', async () => {
    const t = setup(() => 30_000);
    const running = entryFixture();
    const [q1, parked1, parked2] = [entryFixture(), entryFixture(), entryFixture()];
    t.lane.queue.push(q1);
    t.mode.open(t.lane, parked1, Date.now() + 30_000);
    const open = t.lane.pipe!;
    expect(t.mode.offer(t.lane, open, parked2)).toBe(false); // joins the parked pipe
    await t.mode.repark(t.lane, running, { ...running.delivery, attempt: 2 }, open.headTopic, 5_000, failed, new Date());
    const retry = open.rollTo!;
    expect(retry.headTopic).toBe(open.headTopic); // the same tier: each pipe knows its own messages
    expect(t.forwarded.slice(2).map((f) => [f.topic, f.id, f.attempt])).toEqual([
      [retry.headTopic, running.delivery.deliveryId, 2],
      [retry.headTopic, q1.delivery.deliveryId, 1],
    ]);
    // The retry pipe comes back first: its head is sent though the parked pipe is still out.
    expect(t.mode.offer(t.lane, open, entryFixture({ ...running.delivery, attempt: 2 }, retry.headTopic))).toBe(true);
    expect(t.lane.queue.map((e) => e.delivery.deliveryId)).toEqual([running.delivery.deliveryId]);
    // The parked pipe comes back: rolled on behind the retry pipe's messages, in order.
    t.mode.offer(t.lane, open, entryFixture(parked1.delivery, open.headTopic));
    t.mode.offer(t.lane, open, entryFixture(parked2.delivery, open.headTopic));
    await flush();
    expect(t.forwarded.slice(4).map((f) => [f.topic, f.id])).toEqual([
      [retry.headTopic, parked1.delivery.deliveryId],
      [retry.headTopic, parked2.delivery.deliveryId],
    ]);
    expect(t.lane.pipe).toBe(retry);
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
