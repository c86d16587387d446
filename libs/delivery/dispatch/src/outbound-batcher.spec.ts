import { Topics, type TopicSpec } from '@herald/contracts';
import type { RawMessage } from '@herald/platform/kafka';
import { OutboundBatcher } from './outbound-batcher';

// The batching rules with an in-memory stand-in for the producer (no Kafka semantics claimed).
function recorder(failures = 0) {
  const requests: { topic: string; keys: string[] }[][] = [];
  let left = failures;
  return {
    requests,
    producer: {
      sendRawBatch: async (batches: readonly { topic: TopicSpec; messages: readonly RawMessage[] }[]) => {
        if (left-- > 0) throw new Error('broker away');
        requests.push(batches.map((b) => ({ topic: b.topic.name, keys: b.messages.map((m) => m.key) })));
      },
    },
  };
}

describe('OutboundBatcher', () => {
  it('sends what arrives within the linger in one request, every topic in it, in order', async () => {
    const r = recorder();
    const b = new OutboundBatcher(r.producer, { lingerMs: 5, maxBatch: 100 });
    await Promise.all([
      b.add(Topics.DeliveryOutcomes, { key: 'a', value: '1' }),
      b.add(Topics.DeliveriesDlq, { key: 'b', value: '2' }),
      b.add(Topics.DeliveryOutcomes, { key: 'c', value: '3' }),
    ]);
    expect(r.requests).toEqual([
      [
        { topic: Topics.DeliveryOutcomes.name, keys: ['a', 'c'] },
        { topic: Topics.DeliveriesDlq.name, keys: ['b'] },
      ],
    ]);
  });

  it('splits by message count and by bytes, keeping the order', async () => {
    const r = recorder();
    const b = new OutboundBatcher(r.producer, { lingerMs: 1, maxBatch: 2, maxBytes: 10 });
    await Promise.all(['k1', 'k2', 'k3', 'k4', 'k5'].map((k, i) => b.add(Topics.DeliveryOutcomes, { key: k, value: i === 3 ? 'x'.repeat(20) : 'v' })));
    const keys = r.requests.map((req) => req.flatMap((t) => t.keys));
    expect(keys.flat()).toEqual(['k1', 'k2', 'k3', 'k4', 'k5']);
    expect(Math.max(...keys.map((k) => k.length))).toBeLessThanOrEqual(2);
    expect(keys).toContainEqual(['k4']);
  });

  it('retries a failed request until the broker takes it; callers resolve only then', async () => {
    const r = recorder(2);
    const b = new OutboundBatcher(r.producer, { lingerMs: 0, maxBatch: 10 });
    let done = false;
    const p = b.add(Topics.DeliveryOutcomes, { key: 'a', value: '1' }).then(() => (done = true));
    await new Promise((res) => setTimeout(res, 50));
    expect(done).toBe(false);
    await p;
    expect(r.requests).toHaveLength(1);
  });
});
