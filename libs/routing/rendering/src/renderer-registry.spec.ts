import type { PayloadRenderer, SubscriptionSnapshot } from '@herald/contracts';
import { renderContextFixture, resourceChangeFixture, subscriptionSnapshotFixture } from '@herald/platform/testing';
import { PayloadRendererRegistry, UnknownPayloadFormatError } from './renderer-registry';

const change = resourceChangeFixture;
const sub = (payloadFormat: SubscriptionSnapshot['payloadFormat']) => subscriptionSnapshotFixture({ payloadFormat });
const ctx = renderContextFixture();

describe('PayloadRendererRegistry', () => {
  it('picks the renderer by the subscription payload format; native is always there', () => {
    const proprofs: PayloadRenderer = {
      formats: ['proprofs'],
      render: () => ({ body: 'p', contentType: 'application/json', headers: {} }),
    };
    const registry = new PayloadRendererRegistry([proprofs]);
    expect(registry.render(change(), sub('proprofs'), ctx)?.body).toBe('p');
    expect(JSON.parse(registry.render(change(), sub('native'), ctx)!.body).type).toBe(
      'task.updated',
    );
    expect(registry.formats.sort()).toEqual(['cloudevents-binary', 'cloudevents-structured', 'native', 'proprofs']);
  });

  it('a format nobody renders is a clear error; a format claimed twice is refused', () => {
    const registry = new PayloadRendererRegistry();
    expect(() => registry.render(change(), sub('procore-v4.0'), ctx)).toThrow(
      UnknownPayloadFormatError,
    );
    expect(() => registry.rendererFor('procore-v4.0')).toThrow(
      'no payload renderer for format "procore-v4.0"',
    );
    const r = { formats: ['worksection'], render: () => null } as PayloadRenderer;
    registry.register(r);
    expect(() => registry.register({ formats: ['worksection'], render: () => null })).toThrow(
      /claimed by both/,
    );
    expect(registry.render(change(), sub('worksection'), ctx)).toBeNull();
  });
});
