import type { Producer, ProducerRecord } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Headers } from './headers';
import { InvalidResourceChangeError, ResourceChangePublisher } from './resource-change-publisher';
import type { ResourceChange } from './resource-change';

// Only checks what the publisher hands to kafkajs (validation, key, headers, topic); the
// round trip over a real broker is covered by the event-router's int test.
function recordingProducer() {
  const sent: ProducerRecord[] = [];
  const producer = { send: async (r: ProducerRecord) => void sent.push(r) } as unknown as Producer;
  return { producer, sent };
}

const change = (over: Partial<ResourceChange> = {}): ResourceChange => ({
  eventId: randomUUID(),
  tenantId: 't1',
  projectId: 'p1',
  resourceType: 'task',
  resourceId: 'r1',
  action: 'created',
  occurredAt: new Date().toISOString(),
  initiator: { userId: 'u1', fullName: 'Ann', logonAccount: 'ann@example.com' },
  after: { id: 'r1', name: 'Write' },
  changedFields: [],
  ...over,
});

describe('ResourceChangePublisher', () => {
  it('keys by resource, sets schema/producer/trace headers and the namespaced topic', async () => {
    const { producer, sent } = recordingProducer();
    const publisher = new ResourceChangePublisher(producer, {
      producerName: 'billing',
      namespace: 'ns1',
    });
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await publisher.publish([
      change(),
      change({ resourceId: 'r2', after: { id: 'r2' }, traceparent: tp }),
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0].topic).toBe('ns1.herald.resource-changes.v1');
    expect(sent[0].acks).toBe(-1);
    const [a, b] = sent[0].messages;
    expect(a.key).toBe('t1:task:r1');
    expect(b.key).toBe('t1:task:r2');
    expect(a.headers).toEqual({
      [Headers.Schema]: 'resource-change/1',
      [Headers.Producer]: 'billing',
    });
    expect(b.headers?.[Headers.TraceParent]).toBe(tp);
    expect(JSON.parse(String(a.value)).after).toEqual({ id: 'r1', name: 'Write' });
  });

  it('publishes nothing when one event of the call is invalid, and says which and why', async () => {
    const { producer, sent } = recordingProducer();
    const publisher = new ResourceChangePublisher(producer, { producerName: 'billing' });
    const bad = change({ action: 'completed', resourceType: 'client' });
    await expect(publisher.publish([change(), bad])).rejects.toThrow(InvalidResourceChangeError);
    await expect(publisher.publish([change(), bad])).rejects.toThrow(
      /#1 is invalid: action: client has no action completed/,
    );
    expect(sent).toHaveLength(0);
  });
});
