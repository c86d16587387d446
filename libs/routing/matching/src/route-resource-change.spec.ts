import { DeliveryOutcomeSchema, DeliverySchema, type PayloadRenderer } from '@herald/contracts';
import { PayloadRendererRegistry } from '@herald/routing/rendering';
import { RouteResourceChange, deliveryIdOf } from './route-resource-change';
import { SubscriptionIndex } from './subscription-index';
import { resourceChange, subscriptionSnapshot } from './testing/fixtures';

const options = { publicBaseUrl: 'http://localhost:3000' };

describe('RouteResourceChange', () => {
  it('builds one valid delivery (attempt 1, keyed by subscription, eventId kept) and one queued outcome per match', () => {
    const index = new SubscriptionIndex();
    index.upsert(subscriptionSnapshot({ id: 'a', version: 7 }));
    index.upsert(subscriptionSnapshot({ id: 'b' }));
    index.upsert(subscriptionSnapshot({ id: 'other', tenantId: 't2' }));
    const change = resourceChange();
    const routedAt = new Date('2026-01-02T03:04:05.000Z');
    const routed = new RouteResourceChange(index, new PayloadRendererRegistry(), options).execute({
      change,
      routedAt,
    });

    expect(routed.eventType).toBe('task.updated');
    expect(routed.deliveries.map((d) => d.delivery.subscriptionId).sort()).toEqual(['a', 'b']);
    const a = routed.deliveries.find((d) => d.delivery.subscriptionId === 'a')!;
    expect(DeliverySchema.parse(a.delivery)).toEqual(a.delivery);
    expect(DeliveryOutcomeSchema.parse(a.queued)).toEqual(a.queued);
    expect(a.delivery).toMatchObject({
      eventId: change.eventId,
      subscriptionVersion: 7,
      attempt: 1,
      routedAt: routedAt.toISOString(),
      contentType: 'application/json',
      origin: 'event',
    });
    expect(a.queued).toMatchObject({
      deliveryId: a.delivery.deliveryId,
      status: 'queued',
      body: a.delivery.body,
    });
    expect(JSON.parse(a.delivery.body).type).toBe('task.updated');
  });

  it('gives the same (event, subscription) the same delivery id, and different ones otherwise', () => {
    expect(deliveryIdOf('e1', 's1')).toBe(deliveryIdOf('e1', 's1'));
    expect(deliveryIdOf('e1', 's1')).not.toBe(deliveryIdOf('e1', 's2'));
    expect(deliveryIdOf('e1', 's1')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('sets aside an unknown format or a failing renderer with the reason, and still routes the others', () => {
    const index = new SubscriptionIndex();
    index.upsert(subscriptionSnapshot({ id: 'native' }));
    index.upsert(subscriptionSnapshot({ id: 'unknown', payloadFormat: 'proprofs' }));
    index.upsert(subscriptionSnapshot({ id: 'broken', payloadFormat: 'worksection' }));
    index.upsert(subscriptionSnapshot({ id: 'silent', payloadFormat: 'ppm-express' }));
    const registry = new PayloadRendererRegistry([
      {
        formats: ['worksection'],
        render: () => {
          throw new Error('no project on this change');
        },
      },
      { formats: ['ppm-express'], render: () => null },
    ] satisfies PayloadRenderer[]);
    const routed = new RouteResourceChange(index, registry, options).execute({
      change: resourceChange(),
    });
    expect(routed.deliveries.map((d) => d.delivery.subscriptionId)).toEqual(['native']);
    expect(routed.notInFormat.map((s) => s.id)).toEqual(['silent']);
    expect(routed.failures.map((f) => [f.subscription.id, f.reason])).toEqual([
      ['unknown', 'no payload renderer for format "proprofs"'],
      ['broken', 'no project on this change'],
    ]);
  });

  // How fast is for bench:e2e's fan-out phase (a benchmark, not a timed test); this checks the count.
  it('fans one change out to 10,000 subscriptions, one delivery each', () => {
    const index = new SubscriptionIndex();
    for (let i = 0; i < 10_000; i++) index.upsert(subscriptionSnapshot({ id: `s${i}` }));
    const routed = new RouteResourceChange(index, new PayloadRendererRegistry(), options).execute({
      change: resourceChange(),
    });
    expect(routed.deliveries).toHaveLength(10_000);
    expect(new Set(routed.deliveries.map((d) => d.delivery.subscriptionId)).size).toBe(10_000);
  });
});

describe('RouteResourceChange with a size cap (issue 12.4)', () => {
  const cap = (maxBytes: number, compression: 'gzip' | 'none' = 'gzip') => ({ ...options, sizeCap: { maxBytes, compression } });
  /** Text that compresses badly (random) with quotes (4 bytes each inside a delivery message). */
  const noisy = (n: number) => Array.from({ length: n }, (_, i) => `${(i * 2654435761 % 2 ** 32).toString(36)}""`).join('');

  function route(maxBytes: number, after: Record<string, unknown>, formats: string[], compression: 'gzip' | 'none' = 'gzip') {
    const index = new SubscriptionIndex();
    for (const f of formats) index.upsert(subscriptionSnapshot({ id: f, payloadFormat: f as never }));
    const registry = new PayloadRendererRegistry([
      // A format with the resource's fields and no thin rendering (as Worksection's and PPM's).
      { formats: ['worksection'], render: (c) => ({ body: JSON.stringify({ object: c.after }), contentType: 'application/json', headers: {} }) },
    ] satisfies PayloadRenderer[]);
    return new RouteResourceChange(index, registry, cap(maxBytes, compression)).execute({ change: resourceChange({ after }) });
  }

  it('routes what fits as it is', () => {
    const routed = route(1_000_000, { name: 'small' }, ['native', 'worksection']);
    expect(routed.deliveries.map((d) => [d.subscription.id, d.thin ?? false])).toEqual([
      ['native', false],
      ['worksection', false],
    ]);
    expect(routed.tooLarge).toEqual([]);
  });

  it('renders an oversized native or CloudEvents delivery thin, and dead-letters a format without a thin rendering, logged as failed', () => {
    const routed = route(200_000, { name: 'big', text: noisy(60_000) }, ['native', 'cloudevents-structured', 'worksection']);
    expect(routed.deliveries.map((d) => [d.subscription.id, d.thin])).toEqual([
      ['native', true],
      ['cloudevents-structured', true],
    ]);
    const native = JSON.parse(routed.deliveries[0].delivery.body) as { data: object; dataOmitted: boolean; resource: { id: string } };
    expect(native).toMatchObject({ data: {}, dataOmitted: true, resource: { id: resourceChange().resourceId } });
    expect(routed.deliveries[0].queued.body).toBe(routed.deliveries[0].delivery.body);
    const ce = JSON.parse(routed.deliveries[1].delivery.body) as { data: { dataOmitted: boolean } };
    expect(ce.data.dataOmitted).toBe(true);

    expect(routed.tooLarge).toHaveLength(1);
    const [tooLarge] = routed.tooLarge;
    expect(tooLarge.subscription.id).toBe('worksection');
    expect(tooLarge.bytes).toBeGreaterThan(200_000);
    expect(tooLarge.reason).toMatch(/over the 200000-byte cap \(HERALD_ROUTER_MAX_DELIVERY_BYTES\), and format worksection cannot be rendered thin/);
    expect(DeliveryOutcomeSchema.parse(tooLarge.outcome)).toMatchObject({ status: 'failed', attempt: 0, body: null, errorClass: 'invalid', subscriptionId: 'worksection' });
  });

  it('measures what the broker receives: compressible text fits when the services compress, not when they do not', () => {
    const repetitive = { name: 'big', text: 'the same words again '.repeat(20_000) }; // ~420 KB, compresses ~100x
    expect(route(200_000, repetitive, ['worksection'], 'gzip').deliveries).toHaveLength(1);
    expect(route(200_000, repetitive, ['worksection'], 'none').tooLarge).toHaveLength(1);
  });
});
