import { Headers, Topics, type TopicSpec } from '@herald/contracts';
import type { MessageSource } from '@herald/platform/kafka';
import type { KafkaMessage } from 'kafkajs';
import { MetricsRegistry } from '@herald/platform/observability';
import { dispatchMetrics } from '../dispatch-metrics';
import { DeliveryDeadLetters, decodeDelivery } from './dead-letters';
import { deliveryFixture, entryFixture } from './testing';

const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const tracked = (value: Buffer | null, headers: Record<string, string> = {}) => ({
  topic: Topics.Deliveries,
  partition: 2,
  offset: '17',
  message: { key: Buffer.from('sub-A'), value, headers, timestamp: '0', attributes: 0, offset: '17' } as KafkaMessage,
});

function recorder(failures = 0) {
  const written: { dlq: TopicSpec; source: MessageSource; key?: string; reason: string; errorClass?: string; headers: unknown }[] = [];
  let left = failures;
  const metrics = dispatchMetrics(new MetricsRegistry('test'));
  const writer = {
    deadLetter: async (dlq: TopicSpec, source: MessageSource, m: Pick<KafkaMessage, 'key' | 'value' | 'headers'>, reason: string, errorClass?: string) => {
      if (left-- > 0) throw new Error('broker away');
      written.push({ dlq, source, key: m.key?.toString(), reason, errorClass, headers: m.headers });
    },
  };
  return { written, metrics, dl: new DeliveryDeadLetters(writer, metrics) };
}

describe('decodeDelivery', () => {
  it('a valid delivery, with only the W3C trace headers as its trace context', () => {
    const d = deliveryFixture();
    const r = decodeDelivery(tracked(Buffer.from(JSON.stringify(d)), { [Headers.TraceParent]: tp, [Headers.DueAt]: '5', [Headers.Schema]: 'delivery/1' }));
    expect(r).toEqual({ kind: 'delivery', delivery: d, trace: { [Headers.TraceParent]: tp } });
  });

  it('says why a message is not a delivery: not JSON, not the schema, a tombstone', () => {
    expect(decodeDelivery(tracked(Buffer.from('{nope')))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/^not JSON/) });
    expect(decodeDelivery(tracked(Buffer.from('{"deliveryId":"x"}')))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/^delivery\/1 schema: deliveryId/) });
    expect(decodeDelivery(tracked(null))).toEqual({ kind: 'invalid', reason: 'empty value' });
  });
});

describe('DeliveryDeadLetters', () => {
  afterEach(() => jest.useRealTimers());

  it('writes an invalid message to the deliveries DLQ with its source, retrying until Kafka takes it', async () => {
    jest.useFakeTimers();
    const r = recorder(2);
    let done = false;
    const p = r.dl.invalid(tracked(Buffer.from('{nope')), 'not JSON').then(() => (done = true));
    await jest.advanceTimersByTimeAsync(100);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1_000);
    await p;
    expect(r.written).toEqual([{ dlq: Topics.DeliveriesDlq, source: { topic: 'herald.deliveries.v1', partition: 2, offset: '17' }, key: 'sub-A', reason: 'not JSON', errorClass: undefined, headers: {} }]);
    expect((await r.metrics.dlqMessages.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'invalid' }, value: 1 })]);
  });

  it('writes a delivery that ended, keyed by its hook, with its original headers, reason and error class', async () => {
    const r = recorder();
    const e = entryFixture(deliveryFixture(), Topics.Deliveries, { [Headers.TraceParent]: tp });
    await r.dl.delivery(e, 'retries exhausted (max_attempts): 503', 'http_status', 'exhausted');
    expect(r.written).toEqual([
      { dlq: Topics.DeliveriesDlq, source: expect.objectContaining({ topic: 'herald.deliveries.v1' }), key: 'sub-A', reason: 'retries exhausted (max_attempts): 503', errorClass: 'http_status', headers: { [Headers.TraceParent]: tp } },
    ]);
    expect((await r.metrics.dlqMessages.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'exhausted' }, value: 1 })]);
  });
});
