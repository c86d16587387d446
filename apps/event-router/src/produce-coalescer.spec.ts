import type { HeraldProducer, RawMessage } from '@herald/platform/kafka';
import { ProduceCoalescer } from './produce-coalescer';

// The coalescing and splitting rules only; the produce itself is covered by the int test.
function recorder(fail = false) {
  const requests: { topic: string; keys: string[] }[][] = [];
  const producer = {
    sendRawBatch: async (
      batches: { topic: { name: string }; messages: readonly RawMessage[] }[],
    ) => {
      requests.push(
        batches.map((b) => ({ topic: b.topic.name, keys: b.messages.map((m) => m.key) })),
      );
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error('broker said no');
    },
  } as unknown as HeraldProducer;
  return { producer, requests };
}
const msg = (key: string, size = 10): RawMessage => ({ key, value: 'x'.repeat(size) });

describe('ProduceCoalescer', () => {
  it('puts batches routed at the same time into one request, outcomes listed before deliveries', async () => {
    const { producer, requests } = recorder();
    const c = new ProduceCoalescer(producer);
    await Promise.all([c.send([msg('o1')], [msg('d1')]), c.send([msg('o2')], [msg('d2')])]);
    expect(requests).toEqual([
      [
        { topic: 'herald.delivery-outcomes.v1', keys: ['o1', 'o2'] },
        { topic: 'herald.deliveries.v1', keys: ['d1', 'd2'] },
      ],
    ]);
  });

  it('fills the next request while one is in flight, and splits a big fan-out under the byte cap', async () => {
    const { producer, requests } = recorder();
    const c = new ProduceCoalescer(producer, 1_000);
    const first = c.send([msg('a')], [msg('a')]);
    await new Promise((r) => setImmediate(r));
    const big = Array.from({ length: 20 }, (_, i) => msg(`f${i}`, 200));
    await Promise.all([first, c.send(big, big)]);
    expect(requests[0][1].keys).toEqual(['a']);
    const fanned = requests.slice(1).flatMap((r) => r[1].keys);
    expect(fanned).toEqual(big.map((m) => m.key));
    expect(requests.length).toBeGreaterThan(5);
  });

  it('rejects every caller of a failed request (their offsets are not committed)', async () => {
    const { producer } = recorder(true);
    const c = new ProduceCoalescer(producer);
    await expect(c.send([msg('o')], [msg('d')])).rejects.toThrow('broker said no');
  });
});
