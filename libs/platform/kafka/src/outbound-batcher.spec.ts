import { CompressionTypes, KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { RetryTierTopics, Topics, type TopicSpec } from '@herald/contracts';
import { DEFAULT_ISOLATION_POLICY } from './failure-isolation';
import { OutboundBatcher, REFUSED_BY_BROKER, chunkByBytes, recordBytes } from './outbound-batcher';
import type { RawMessage } from './producer';

// The batching rules with an in-memory stand-in for the producer (no Kafka semantics claimed:
// the router's and the dispatcher's int tests, and outbound-batcher.int-spec.ts, produce through
// it to a real broker). Its errors are the ones kafkajs throws.
const brokerAway = () => new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
const tooLarge = () => {
  const protocol = new (KafkaJSProtocolError as unknown as new (e: object) => Error)({
    message: 'The request included a message larger than the max message size the server will accept',
    type: 'MESSAGE_TOO_LARGE',
    code: 10,
    retriable: false,
  });
  return new (KafkaJSNonRetriableError as unknown as new (e: Error, o: object) => Error)(protocol, { cause: protocol });
};

function recorder(opts: { failures?: number; latencyMs?: number; refuse?: (m: RawMessage) => (() => unknown) | undefined; reachable?: boolean } = {}) {
  const requests: { topic: string; keys: string[] }[][] = [];
  const compressions: (CompressionTypes | undefined)[] = [];
  let left = opts.failures ?? 0;
  return {
    requests,
    compressions,
    producer: {
      sendRawBatch: async (
        batches: readonly { topic: TopicSpec; messages: readonly RawMessage[] }[],
        o: { compression?: CompressionTypes } = {},
      ) => {
        requests.push(batches.map((b) => ({ topic: b.topic.name, keys: b.messages.map((m) => m.key) })));
        compressions.push(o.compression);
        if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
        if (left-- > 0) throw brokerAway();
        for (const b of batches) {
          for (const m of b.messages) {
            const refusal = opts.refuse?.(m);
            if (refusal) throw refusal();
          }
        }
      },
      reachable: async () => opts.reachable ?? true,
    },
  };
}

/** A dead-letter writer that records what it is given. */
function deadLetterRecorder() {
  const written: { dlq: string; source: string; key: string; reason: string; errorClass?: string }[] = [];
  return {
    written,
    writer: {
      deadLetter: async (dlq: TopicSpec, source: { topic: string }, m: { key: Buffer | null }, reason: string, errorClass?: string) =>
        void written.push({ dlq: dlq.name, source: source.topic, key: m.key!.toString(), reason, errorClass }),
    },
  };
}
const msg = (key: string, size = 10): RawMessage => ({ key, value: 'x'.repeat(size) });
const keysOf = (requests: { keys: string[] }[][]) => requests.map((req) => req.flatMap((t) => t.keys));

describe('OutboundBatcher', () => {
  describe('as the dispatcher uses it (linger, count and byte caps, retried until acknowledged)', () => {
    it('sends what arrives within the linger in one request, every topic in it, in order', async () => {
      const r = recorder();
      const b = new OutboundBatcher(r.producer, { lingerMs: 5, maxBatch: 100, onFailure: 'retry' });
      await Promise.all([
        b.add(Topics.DeliveryOutcomes, msg('a')),
        b.add(Topics.DeliveriesDlq, msg('b')),
        b.add(Topics.DeliveryOutcomes, msg('c')),
      ]);
      expect(r.requests).toEqual([
        [
          { topic: Topics.DeliveryOutcomes.name, keys: ['a', 'c'] },
          { topic: Topics.DeliveriesDlq.name, keys: ['b'] },
        ],
      ]);
    });

    it('splits by message count and by bytes, keeping the order; a message over the byte cap leaves alone', async () => {
      const r = recorder();
      const small = recordBytes(msg('k1', 1));
      const b = new OutboundBatcher(r.producer, { lingerMs: 1, maxBatch: 2, maxBytes: small * 2, onFailure: 'retry' });
      await Promise.all(['k1', 'k2', 'k3', 'k4', 'k5'].map((k) => b.add(Topics.DeliveryOutcomes, msg(k, k === 'k4' ? 500 : 1))));
      expect(keysOf(r.requests)).toEqual([['k1', 'k2'], ['k3'], ['k4'], ['k5']]);

      const counted = recorder();
      const c = new OutboundBatcher(counted.producer, { lingerMs: 1, maxBatch: 2, onFailure: 'retry' });
      await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => c.add(Topics.DeliveryOutcomes, msg(k))));
      expect(keysOf(counted.requests)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    });

    it('retries a failed request, same batch and order, until the broker takes it; callers resolve only then', async () => {
      const r = recorder({ failures: 2 });
      const b = new OutboundBatcher(r.producer, { lingerMs: 1, maxBatch: 10, onFailure: 'retry' });
      let done = false;
      const p = b.addAll([
        { topic: Topics.DeliveryOutcomes, message: msg('a') },
        { topic: Topics.DeliveryOutcomes, message: msg('b') },
      ]).then(() => (done = true));
      await new Promise((res) => setTimeout(res, 50));
      expect(done).toBe(false);
      const later = b.add(Topics.DeliveryOutcomes, msg('c'));
      await Promise.all([p, later]);
      expect(keysOf(r.requests)).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b'], ['c']]);
    });

    it('flush sends what waits for its linger now, and resolves once nothing is queued or in flight', async () => {
      const r = recorder({ latencyMs: 5 });
      const b = new OutboundBatcher(r.producer, { lingerMs: 60_000, onFailure: 'retry' });
      let acked = 0;
      void b.add(Topics.DeliveryOutcomes, msg('a')).then(() => acked++);
      void b.add(Topics.Deliveries, msg('b')).then(() => acked++);
      await b.flush();
      expect(keysOf(r.requests)).toEqual([['a', 'b']]);
      await new Promise((res) => setImmediate(res));
      expect(acked).toBe(2);
    });
  });

  describe('a message the broker refuses on its own (issue 12.4: no batch is retried for ever)', () => {
    const dispatcherBatcher = (r: ReturnType<typeof recorder>, dl?: ReturnType<typeof deadLetterRecorder>, onDeadLettered?: () => void) =>
      new OutboundBatcher(r.producer, {
        lingerMs: 1,
        maxBatch: 100,
        onFailure: 'retry',
        deadLetters: dl && { writer: dl.writer, topicFor: () => Topics.DeliveriesDlq },
        onDeadLettered,
        isolation: { ...DEFAULT_ISOLATION_POLICY, initialBackoffMs: 1, maxBackoffMs: 2 },
      });

    it('splits the request to find the message refused as too large, dead-letters it alone, sends the others in order', async () => {
      const r = recorder({ refuse: (m) => (m.key === 'big' ? tooLarge : undefined) });
      const dl = deadLetterRecorder();
      const told: string[] = [];
      const b = dispatcherBatcher(r, dl, () => void told.push('told'));
      const keys = ['a', 'b', 'c', 'big', 'd', 'e', 'f', 'g'];
      await Promise.all(keys.map((k) => b.add(k === 'big' ? RetryTierTopics[0] : Topics.DeliveryOutcomes, msg(k))));
      expect(dl.written).toEqual([
        {
          dlq: Topics.DeliveriesDlq.name,
          source: RetryTierTopics[0].name,
          key: 'big',
          reason: expect.stringMatching(/^the broker refused it \(kafka MESSAGE_TOO_LARGE, \d+ bytes uncompressed\): The request included a message larger/),
          errorClass: REFUSED_BY_BROKER,
        },
      ]);
      // Everything else acknowledged exactly once, in the order it was added.
      const acked = r.requests.filter((req) => !req.some((t) => t.keys.includes('big'))).flatMap((req) => req.flatMap((t) => t.keys));
      expect(acked).toEqual(keys.filter((k) => k !== 'big'));
      // At most about 2·log2(8) requests, and never the same one twice.
      expect(r.requests.length).toBeLessThanOrEqual(8);
      await new Promise((res) => setImmediate(res));
      expect(told).toEqual(['told']);
      // And the next batch goes straight through.
      await b.add(Topics.DeliveryOutcomes, msg('after'));
      expect(keysOf(r.requests).at(-1)).toEqual(['after']);
    });

    it('without a dead-letter topic, only the refused message\'s caller gets the error', async () => {
      const r = recorder({ refuse: (m) => (m.key === 'big' ? tooLarge : undefined) });
      const b = dispatcherBatcher(r);
      const results = await Promise.allSettled(['a', 'big', 'c'].map((k) => b.add(Topics.DeliveryOutcomes, msg(k))));
      expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(((results[1] as PromiseRejectedResult).reason as Error).message).toMatch(/larger than the max message size/);
    });

    it('an unknown error on one message while the cluster answers: tried a bounded number of times, then dead-lettered', async () => {
      const r = recorder({ refuse: (m) => (m.key === 'odd' ? () => new Error('unexpected answer') : undefined) });
      const dl = deadLetterRecorder();
      const b = dispatcherBatcher(r, dl);
      await Promise.all(['a', 'odd', 'c'].map((k) => b.add(Topics.DeliveryOutcomes, msg(k))));
      expect(dl.written.map((w) => [w.key, w.errorClass])).toEqual([['odd', 'produce']]);
      expect(r.requests.filter((req) => keysOf([req])[0].join() === 'odd')).toHaveLength(DEFAULT_ISOLATION_POLICY.messageTries);
    });

    it('an unknown error while the cluster does not answer is an outage: retried, never dead-lettered', async () => {
      let failing = 4;
      const r = recorder({ refuse: () => (failing-- > 0 ? () => new Error('unexpected answer') : undefined), reachable: false });
      const dl = deadLetterRecorder();
      const b = dispatcherBatcher(r, dl);
      await Promise.all(['a', 'b'].map((k) => b.add(Topics.DeliveryOutcomes, msg(k))));
      expect(dl.written).toEqual([]);
      expect(keysOf(r.requests)).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b'], ['a', 'b'], ['a', 'b']]);
    });
  });

  describe('as the router uses it (no linger, outcomes first, compression, failures rejected)', () => {
    const routerBatcher = (producer: ReturnType<typeof recorder>['producer'], maxBytes = 900_000) =>
      new OutboundBatcher(producer, {
        lingerMs: 0,
        maxBytes,
        compression: CompressionTypes.GZIP,
        topicOrder: [Topics.DeliveryOutcomes, Topics.Deliveries],
        onFailure: 'reject',
      });
    const pairs = (...ms: RawMessage[]) =>
      ms.flatMap((m) => [
        { topic: Topics.DeliveryOutcomes, message: m },
        { topic: Topics.Deliveries, message: m },
      ]);

    it('puts batches routed in the same turn into one compressed request, outcomes listed before deliveries', async () => {
      const r = recorder();
      const b = routerBatcher(r.producer);
      // A delivery added before its outcome still goes after the outcomes.
      await Promise.all([
        b.addAll([{ topic: Topics.Deliveries, message: msg('d0') }, ...pairs(msg('1'))]),
        b.addAll(pairs(msg('2'))),
      ]);
      expect(r.requests).toEqual([
        [
          { topic: 'herald.delivery-outcomes.v1', keys: ['1', '2'] },
          { topic: 'herald.deliveries.v1', keys: ['d0', '1', '2'] },
        ],
      ]);
      expect(r.compressions).toEqual([CompressionTypes.GZIP]);
    });

    it('fills the next request while one is in flight, and splits a big fan-out under the byte cap, in order', async () => {
      const r = recorder({ latencyMs: 5 });
      const b = routerBatcher(r.producer, 1_000);
      const first = b.addAll(pairs(msg('a')));
      await new Promise((res) => setImmediate(res));
      await new Promise((res) => setImmediate(res));
      const big = Array.from({ length: 20 }, (_, i) => msg(`f${i}`, 200));
      await Promise.all([first, b.addAll(pairs(...big))]);
      expect(r.requests[0]).toEqual([
        { topic: 'herald.delivery-outcomes.v1', keys: ['a'] },
        { topic: 'herald.deliveries.v1', keys: ['a'] },
      ]);
      const later = r.requests.slice(1);
      expect(later.flatMap((req) => req.find((t) => t.topic === 'herald.deliveries.v1')?.keys ?? [])).toEqual(big.map((m) => m.key));
      expect(later.flatMap((req) => req.find((t) => t.topic === 'herald.delivery-outcomes.v1')?.keys ?? [])).toEqual(big.map((m) => m.key));
      for (const req of later) expect(req.flatMap((t) => t.keys).length * recordBytes(big[0])).toBeLessThanOrEqual(1_000);
      // Every delivery's outcome went in an earlier request or earlier in the same one.
      const seen = new Set<string>();
      for (const req of later) {
        for (const k of req.find((t) => t.topic === 'herald.delivery-outcomes.v1')?.keys ?? []) seen.add(k);
        for (const k of req.find((t) => t.topic === 'herald.deliveries.v1')?.keys ?? []) expect(seen.has(k)).toBe(true);
      }
    });

    it('rejects every caller of a failed request (their offsets are not committed) and goes on with the next', async () => {
      const r = recorder({ failures: 1, latencyMs: 5 });
      const b = routerBatcher(r.producer);
      const failed = b.addAll(pairs(msg('o')));
      await expect(failed).rejects.toThrow('ECONNREFUSED');
      await expect(b.addAll(pairs(msg('p')))).resolves.toBeUndefined();
      expect(keysOf(r.requests)).toEqual([
        ['o', 'o'],
        ['p', 'p'],
      ]);
    });
  });
});

describe('chunkByBytes', () => {
  it('keeps order and splits by size', () => {
    const msgs = Array.from({ length: 10 }, (_, i) => msg(`k${i}`, 300_000));
    const chunks = chunkByBytes(msgs, 800_000);
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 2, 2, 2]);
    expect(chunks.flat()).toEqual(msgs);
  });

  it('puts small messages in one chunk, a large one alone, and nothing in nothing', () => {
    expect(chunkByBytes(Array.from({ length: 500 }, (_, i) => msg(`k${i}`, 900)), 800_000)).toHaveLength(1);
    expect(chunkByBytes([msg('a'), msg('big', 2_000), msg('b')], 1_000).map((c) => c.map((m) => m.key))).toEqual([['a'], ['big'], ['b']]);
    expect(chunkByBytes([], 800_000)).toEqual([]);
  });
});
