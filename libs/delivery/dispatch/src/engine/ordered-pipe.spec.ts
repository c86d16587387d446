import { RetryTierTopics, Topics } from '@herald/contracts';
import { LOST_HEAD_GRACE_MS, OrderedPipe } from './ordered-pipe';
import { deliveryFixture, entryFixture } from './testing';

const tier = RetryTierTopics[1];
const now = 1_000_000;

function pipe(outstanding = 3) {
  const head = deliveryFixture({ attempt: 2 });
  return { head, pipe: new OrderedPipe(tier, head.deliveryId, 2, now, outstanding) };
}

describe('OrderedPipe', () => {
  it('while the head is parked: later deliveries are forwarded behind it, a copy of the head is dropped', () => {
    const { head, pipe: p } = pipe();
    expect(p.route(entryFixture(deliveryFixture()), now)).toEqual({ kind: 'forward' });
    expect(p.outstanding).toBe(4);
    // An older copy of the head (attempt 1, or from the main topic) is stale.
    expect(p.route(entryFixture({ ...head, attempt: 1 }, tier), now)).toEqual({ kind: 'stale-copy' });
    expect(p.route(entryFixture(head, Topics.Deliveries), now)).toEqual({ kind: 'stale-copy' });
    expect(p.outstanding).toBe(4);
  });

  it('a pipe rebuilt from the tiers drops copies of its members left before its head (offsets not committed) and forwards what else is there', () => {
    const [head, d2, d3] = [deliveryFixture({ attempt: 3 }), deliveryFixture(), deliveryFixture()];
    const p = OrderedPipe.from({ headTopic: tier, headId: head.deliveryId, headAttempt: 3, dueAt: now, members: [[head.deliveryId, 3], [d2.deliveryId, 1]], headOffset: '100' });
    const at = (d: typeof head, offset: number) => {
      const e = entryFixture(d, tier);
      e.source.offset = String(offset);
      return e;
    };
    expect(p.route(at({ ...head, attempt: 2 }, 96), now)).toEqual({ kind: 'stale-copy' });
    expect(p.route(at(d2, 97), now)).toEqual({ kind: 'stale-copy' }); // d2 comes back after the head
    expect(p.route(at(d3, 98), now)).toEqual({ kind: 'forward' }); // not rolled on before the crash: its only copy
    expect(p.route(at(head, 100), now)).toEqual({ kind: 'head' });
    expect(p.route(at(d2, 101), now)).toEqual({ kind: 'follower' });
    expect(p.route(at(d3, 102), now)).toEqual({ kind: 'follower' });
    expect(p.outstanding).toBe(0);
  });

  it('the head back from the pipe is taken first; followers back from the pipe are counted down', () => {
    const { head, pipe: p } = pipe(3);
    expect(p.route(entryFixture(head, tier), now)).toEqual({ kind: 'head' });
    expect(p).toMatchObject({ headTaken: true, outstanding: 2 });
    expect(p.route(entryFixture(deliveryFixture(), tier), now)).toEqual({ kind: 'follower' });
    expect(p.outstanding).toBe(1);
  });

  it('with the head out and followers still in the pipe, new deliveries are held behind them and released in order once all came back', () => {
    const { head, pipe: p } = pipe(2);
    p.route(entryFixture(head, tier), now);
    const [h1, h2] = [entryFixture(), entryFixture()];
    expect(p.route(h1, now)).toEqual({ kind: 'held' });
    expect(p.route(h2, now)).toEqual({ kind: 'held' });
    expect(p.takeHeldIfDrained()).toBeNull();
    expect(p.route(entryFixture(deliveryFixture(), tier), now)).toEqual({ kind: 'follower' });
    expect(p.takeHeldIfDrained()).toEqual([h1, h2]);
    expect(p.held).toEqual([]);
    // Drained: what arrives now is queued as usual.
    expect(p.route(entryFixture(), now)).toEqual({ kind: 'queue' });
  });

  it('followers read back after the head expired end like it did; draining clears the expiry', () => {
    const { head, pipe: p } = pipe(2);
    p.route(entryFixture(head, tier), now);
    p.exhaust = { status: 'discarded', toDlq: false };
    expect(p.route(entryFixture(deliveryFixture(), tier), now)).toEqual({ kind: 'expired', exhaust: { status: 'discarded', toDlq: false } });
    expect(p.takeHeldIfDrained()).toEqual([]);
    expect(p.exhaust).toBeNull();
  });

  it('a parked head not seen long after it was due is taken as lost', () => {
    const { pipe: p } = pipe();
    expect(p.route(entryFixture(), now + LOST_HEAD_GRACE_MS)).toEqual({ kind: 'forward' });
    expect(p.route(entryFixture(), now + LOST_HEAD_GRACE_MS + 1)).toEqual({ kind: 'head-lost' });
  });

  it('is back once its head and every follower came back', () => {
    const { head, pipe: p } = pipe(2);
    expect(p.isBack).toBe(false);
    p.route(entryFixture(head, tier), now);
    expect(p.isBack).toBe(false);
    p.route(entryFixture(deliveryFixture(), tier), now);
    expect(p.isBack).toBe(true);
  });

  it('is built from a seed found in the tiers at start', () => {
    const p = OrderedPipe.from({ headTopic: tier, headId: 'h', headAttempt: 4, dueAt: 5, members: [['h', 4], ['f1', 1], ['f2', 1]] });
    expect(p).toMatchObject({ headTopic: tier, headId: 'h', headAttempt: 4, dueAt: 5, outstanding: 3, headTaken: false, headDone: false, held: [], exhaust: null });
  });

  it('knows its messages: only its own copies (id, attempt, tier) come back from it; other copies of them are stale', () => {
    const [h, f] = [deliveryFixture({ attempt: 4 }), deliveryFixture()];
    const p = OrderedPipe.from({ headTopic: tier, headId: h.deliveryId, headAttempt: 4, dueAt: now, members: [[h.deliveryId, 4], [f.deliveryId, 1]] });
    // A copy from the main topic or another tier, read again after a restart, is not it.
    expect(p.route(entryFixture(f, Topics.Deliveries), now)).toEqual({ kind: 'stale-copy' });
    expect(p.route(entryFixture(f, RetryTierTopics[0]), now)).toEqual({ kind: 'stale-copy' });
    expect(p.route(entryFixture(h, tier), now)).toEqual({ kind: 'head' });
    // Another delivery on the pipe's tier is not a member either: it is held behind the follower still out.
    expect(p.route(entryFixture(deliveryFixture(), tier), now)).toEqual({ kind: 'held' });
    expect(p.route(entryFixture(f, tier), now)).toEqual({ kind: 'follower' });
    expect(p.outstanding).toBe(0);
  });
});
