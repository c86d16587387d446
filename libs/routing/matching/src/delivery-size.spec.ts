import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Delivery, DeliveryOutcome } from '@herald/contracts';
import { measureDelivery } from './delivery-size';

const delivery = (body: string): Delivery => ({
  deliveryId: '6b0c1a5e-5c1b-5d0e-9a1a-7c4d2f6b8a10',
  eventId: 'e1',
  subscriptionId: 's1',
  subscriptionVersion: 1,
  tenantId: 't1',
  eventType: 'task.updated',
  resourceType: 'task',
  resourceId: 'r1',
  projectId: null,
  occurredAt: '2026-01-01T00:00:00.000Z',
  routedAt: '2026-01-01T00:00:00.000Z',
  attempt: 1,
  firstAttemptAt: null,
  body,
  contentType: 'application/json',
  headers: {},
  origin: 'event',
});
const queued = (d: Delivery): DeliveryOutcome => ({ ...d, status: 'queued', attempt: 0, at: d.routedAt, body: d.body });

describe('measureDelivery', () => {
  it('takes an obviously small delivery as fitting without encoding it', () => {
    const d = delivery('{"a":1}');
    const size = measureDelivery(d, queued(d), { maxBytes: 1_000_000, compression: 'gzip' });
    expect(size.fits).toBe(true);
  });

  it('counts JSON escaping: quotes in a body are 4 bytes each in the delivery message', () => {
    const d = delivery(JSON.stringify({ text: '"'.repeat(100_000) })); // body ~200 KB, message ~400 KB
    const size = measureDelivery(d, queued(d), { maxBytes: 300_000, compression: 'none' });
    expect(size.fits).toBe(false);
    expect(size.bytes).toBeGreaterThan(Buffer.byteLength(JSON.stringify(d)));
  });

  it('measures the compressed size when the services compress: random data does not shrink, repetition does', () => {
    const random = delivery(randomBytes(400_000).toString('base64')); // ~533 KB, incompressible-ish
    const gz = gzipSync(JSON.stringify(random)).length;
    const size = measureDelivery(random, queued(random), { maxBytes: 300_000, compression: 'gzip' });
    expect(size.fits).toBe(false);
    expect(size.bytes).toBeGreaterThanOrEqual(gz);
    const repeated = delivery('abc'.repeat(200_000));
    expect(measureDelivery(repeated, queued(repeated), { maxBytes: 300_000, compression: 'gzip' }).fits).toBe(true);
    expect(measureDelivery(repeated, queued(repeated), { maxBytes: 300_000, compression: 'none' }).fits).toBe(false);
  });
});
