import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import type { ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { renderContextFixture } from '@herald/platform/testing';
import {
  CloudEventsPayloadRenderer,
  StructuredCloudEventSchema,
  framingOf,
  percentEncodeHeaderValue,
  renderHeraldEvent,
} from './cloudevents';
import { nativePayloadOf } from './native';
import { renderTestEvent } from './test-event';

const change = (over: Partial<ResourceChange> = {}): ResourceChange => ({
  eventId: randomUUID(),
  tenantId: randomUUID(),
  projectId: randomUUID(),
  resourceType: 'task',
  resourceId: randomUUID(),
  action: 'completed',
  occurredAt: '2026-03-04T05:06:07.000Z',
  initiator: { userId: 'u1', fullName: 'Ann Lee', logonAccount: 'ann@example.com' },
  before: { name: 'Ship it', status: 'open' },
  after: { name: 'Ship it', status: 'completed' },
  changedFields: ['status'],
  ...over,
});
const sub = (payloadFormat: SubscriptionSnapshot['payloadFormat']) => ({ payloadFormat }) as SubscriptionSnapshot;
const ctx = renderContextFixture({ eventType: 'task.completed' });
const renderer = new CloudEventsPayloadRenderer();

/** What the cloudevents SDK makes of a request (it validates the event as it parses). */
function parse(rendered: { body: string; contentType: string; headers: Record<string, string> }): CloudEvent<unknown> {
  const event = HTTP.toEvent({ headers: { 'content-type': rendered.contentType, ...rendered.headers }, body: rendered.body });
  if (Array.isArray(event)) throw new Error('a batch');
  return event as CloudEvent<unknown>;
}

describe('CloudEvents 1.0 payload formats', () => {
  it('structured: the whole event is the body, application/cloudevents+json, data = the native payload', () => {
    const c = change();
    const rendered = renderer.render(c, sub('cloudevents-structured'), ctx);
    expect(rendered.contentType).toBe('application/cloudevents+json');
    expect(rendered.headers).toEqual({});
    expect(StructuredCloudEventSchema.safeParse(JSON.parse(rendered.body)).success).toBe(true);
    const event = parse(rendered);
    expect(event.specversion).toBe('1.0');
    expect(event.id).toBe(c.eventId);
    expect(event.source).toBe(`/tenants/${c.tenantId}`);
    expect(event.type).toBe('io.herald.task.completed');
    expect(event.subject).toBe(`task/${c.resourceId}`);
    expect(new Date(event.time!).toISOString()).toBe(c.occurredAt);
    expect(event.datacontenttype).toBe('application/json');
    expect(event.data).toEqual(nativePayloadOf(c));
  });

  it('binary: the body is the data, the attributes are ce-* headers, the same attributes as structured', () => {
    const c = change();
    const rendered = renderer.render(c, sub('cloudevents-binary'), ctx);
    expect(rendered.contentType).toBe('application/json');
    expect(Object.keys(rendered.headers).sort()).toEqual(['ce-id', 'ce-source', 'ce-specversion', 'ce-subject', 'ce-time', 'ce-type']);
    expect(JSON.parse(rendered.body)).toEqual(nativePayloadOf(c));
    const binary = parse(rendered);
    const structured = parse(renderer.render(c, sub('cloudevents-structured'), ctx));
    for (const attr of ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype'] as const) {
      expect(binary[attr]).toEqual(structured[attr]);
    }
    expect(binary.data).toEqual(structured.data);
  });

  it('renders the same event on every call (a retry or a re-route carries the same id and time)', () => {
    const c = change();
    for (const format of ['cloudevents-structured', 'cloudevents-binary'] as const) {
      expect(renderer.render(c, sub(format), ctx)).toEqual(renderer.render(c, sub(format), { ...ctx, deliveryId: randomUUID(), routedAt: new Date(0) }));
    }
  });

  it('percent-encodes header values outside printable ASCII, so no id can break or add a header', () => {
    expect(percentEncodeHeaderValue('task/abc-1')).toBe('task/abc-1');
    expect(percentEncodeHeaderValue('a b"c%d')).toBe('a%20b%22c%25d');
    expect(percentEncodeHeaderValue('x\r\nce-type: evil')).toBe('x%0D%0Ace-type:%20evil');
    expect(percentEncodeHeaderValue('é€😀\u0000')).toBe('%C3%A9%E2%82%AC%F0%9F%98%80%00');
    const rendered = renderer.render(change({ resourceId: 'weird id\r\nx: y', tenantId: 'ü' }), sub('cloudevents-binary'), ctx);
    for (const v of Object.values(rendered.headers)) expect(v).toMatch(/^[\x21-\x7e]+$/);
    expect(rendered.headers['ce-subject']).toBe('task/weird%20id%0D%0Ax:%20y');
    expect(rendered.headers['ce-source']).toBe('/tenants/%C3%BC');
  });

  it('framingOf rebuilds a logged body\'s content type and ce-* headers from the hook\'s format (redeliver, replay)', () => {
    const c = change();
    for (const format of ['cloudevents-structured', 'cloudevents-binary', 'native', 'procore-v4.0'] as const) {
      const rendered = format.startsWith('cloudevents')
        ? renderer.render(c, sub(format), ctx)
        : { body: JSON.stringify(nativePayloadOf(c)), contentType: 'application/json', headers: {} };
      expect(framingOf(format, rendered.body)).toEqual({ contentType: rendered.contentType, headers: rendered.headers });
    }
    expect(framingOf('cloudevents-binary', 'not json')).toEqual({ contentType: 'application/json', headers: {} });
  });

  it('webhook.test is a CloudEvent for a CloudEvents hook (both modes) and Standard Webhooks JSON for the others', () => {
    const t = { webhookId: 'msg_1', tenantId: 't1', subscriptionId: 's1', now: new Date('2026-01-02T03:04:05Z') };
    for (const format of ['cloudevents-structured', 'cloudevents-binary']) {
      const event = parse(renderTestEvent(format, t));
      expect(event).toMatchObject({ id: 'msg_1', type: 'io.herald.webhook.test', source: '/tenants/t1', subject: 'webhook/s1' });
      expect(event.data).toMatchObject({ id: 'msg_1', type: 'webhook.test', data: { subscriptionId: 's1' } });
    }
    const native = renderTestEvent('worksection', t);
    expect(native.contentType).toBe('application/json');
    expect(JSON.parse(native.body)).toMatchObject({ id: 'msg_1', type: 'webhook.test', tenantId: 't1' });
  });

  it('an operational hook.* event is a CloudEvent for a CloudEvents hook, and its logged body re-frames the same way', () => {
    const body = { id: 'op-1', type: 'hook.disabled', timestamp: '2026-01-02T03:04:05.000Z', tenantId: 't1', resource: { type: 'hook', id: 'h1' }, data: { hookId: 'h1' } };
    const event = { id: 'op-1', type: 'hook.disabled', time: body.timestamp, tenantId: 't1', subject: 'hook/h1' };
    for (const format of ['cloudevents-structured', 'cloudevents-binary']) {
      const rendered = renderHeraldEvent(format, event, body);
      expect(parse(rendered)).toMatchObject({ id: 'op-1', type: 'io.herald.hook.disabled', subject: 'hook/h1', data: body });
      expect(framingOf(format, rendered.body)).toEqual({ contentType: rendered.contentType, headers: rendered.headers });
    }
    expect(renderHeraldEvent('native', event, body)).toEqual({ body: JSON.stringify(body), contentType: 'application/json', headers: {} });
  });
});
