import { z } from 'zod';
import type { PayloadFormat, PayloadRenderer, RenderContext, RenderedPayload, ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { nativePayloadOf, NativePayloadSchema, thinNativePayloadOf, type NativePayload } from './native';

/**
 * CloudEvents 1.0 (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md) over its
 * HTTP protocol binding, in the two modes a hook chooses once (the payload format is immutable):
 *
 * - `cloudevents-structured`: the body is the whole event as JSON,
 *   `Content-Type: application/cloudevents+json`;
 * - `cloudevents-binary`: the body is the event's `data`, `Content-Type: application/json`
 *   (= `datacontenttype`), and every other attribute travels as a `ce-<name>` header.
 *
 * The attributes are the same in both modes and the same on every attempt of a delivery:
 *
 * | attribute | value |
 * | --- | --- |
 * | `specversion` | `1.0` |
 * | `id` | the change's event id: the `webhook-id` header, stable across retries and redeliveries |
 * | `source` | `/tenants/<tenantId>`: the tenant whose data changed (`source` + `id` is unique) |
 * | `type` | `io.herald.` + the core event type: `io.herald.task.completed` |
 * | `subject` | `<resource type>/<resource id>`: `task/0b6c…` |
 * | `time` | when the change was made (RFC 3339, the change's `occurredAt`) |
 * | `datacontenttype` | `application/json` |
 * | `data` | the native payload (what a `native` hook receives as its body) |
 *
 * The Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) are
 * added by the dispatcher as for every format; the signature covers the body as sent.
 */
export const CLOUDEVENTS_STRUCTURED: PayloadFormat = 'cloudevents-structured';
export const CLOUDEVENTS_BINARY: PayloadFormat = 'cloudevents-binary';
export const CLOUDEVENTS_FORMATS: readonly PayloadFormat[] = [CLOUDEVENTS_STRUCTURED, CLOUDEVENTS_BINARY];

/** `type` = this prefix + the core event type (the spec asks for a reverse-DNS prefix). */
export const CLOUDEVENTS_TYPE_PREFIX = 'io.herald.';
export const CLOUDEVENTS_STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';
export const CLOUDEVENTS_DATA_CONTENT_TYPE = 'application/json';

/** The context attributes Herald sets (every one a string). */
export const CloudEventAttributesSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1).describe('The change\'s event id, equal to the webhook-id header; stable across retries'),
  source: z.string().min(1).describe('/tenants/<tenantId>'),
  type: z.string().min(1).describe('io.herald.<event type>, e.g. io.herald.task.completed'),
  subject: z.string().min(1).describe('<resource type>/<resource id>, e.g. task/0b6c…'),
  time: z.iso.datetime({ offset: true }).describe('When the change was made'),
  datacontenttype: z.literal(CLOUDEVENTS_DATA_CONTENT_TYPE),
});
export type CloudEventAttributes = z.infer<typeof CloudEventAttributesSchema>;

/** The body of a `cloudevents-structured` delivery; `data` is the native payload. */
export const StructuredCloudEventSchema = CloudEventAttributesSchema.extend({ data: NativePayloadSchema });
export type StructuredCloudEvent = z.infer<typeof StructuredCloudEventSchema>;

/** What the attributes are made of: the event's id, core type, time, tenant and subject. */
export interface CloudEventSource {
  id: string;
  /** The core event type (`task.completed`, `webhook.test`). */
  type: string;
  time: string;
  tenantId: string;
  subject: string;
}

export function cloudEventAttributesOf(e: CloudEventSource): CloudEventAttributes {
  return {
    specversion: '1.0',
    id: e.id,
    source: `/tenants/${e.tenantId}`,
    type: `${CLOUDEVENTS_TYPE_PREFIX}${e.type}`,
    subject: e.subject,
    time: e.time,
    datacontenttype: CLOUDEVENTS_DATA_CONTENT_TYPE,
  };
}

/** The event of a native payload: its id, type, time, tenant, and `<resource type>/<resource id>`. */
export function cloudEventSourceOf(payload: Pick<NativePayload, 'id' | 'type' | 'timestamp' | 'tenantId' | 'resource'>): CloudEventSource {
  return {
    id: payload.id,
    type: payload.type,
    time: payload.timestamp,
    tenantId: payload.tenantId,
    subject: `${payload.resource.type}/${payload.resource.id}`,
  };
}

/**
 * A header value as the HTTP binding asks (3.1.3.2): printable US-ASCII stays, everything else
 * (space, `"`, `%`, controls, non-ASCII) is percent-encoded as UTF-8 — so an id can never break
 * a header or smuggle one.
 */
export function percentEncodeHeaderValue(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x21 && code <= 0x7e && ch !== '"' && ch !== '%') out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** An event's `data` rendered in one CloudEvents mode. */
export function renderCloudEvent(source: CloudEventSource, data: unknown, format: PayloadFormat): RenderedPayload {
  const attributes = cloudEventAttributesOf(source);
  if (format === CLOUDEVENTS_STRUCTURED) {
    const event = { ...attributes, data };
    return { body: JSON.stringify(event), contentType: CLOUDEVENTS_STRUCTURED_CONTENT_TYPE, headers: {} };
  }
  if (format !== CLOUDEVENTS_BINARY) throw new Error(`not a CloudEvents format: ${format}`);
  // datacontenttype travels as Content-Type; the other attributes as ce-* headers.
  const { datacontenttype, ...rest } = attributes;
  const headers = Object.fromEntries(Object.entries(rest).map(([k, v]) => [`ce-${k}`, percentEncodeHeaderValue(v)]));
  return { body: JSON.stringify(data), contentType: datacontenttype, headers };
}

/** CloudEvents 1.0, structured or binary: the native payload as the event's data. */
export class CloudEventsPayloadRenderer implements PayloadRenderer {
  readonly formats: readonly PayloadFormat[] = CLOUDEVENTS_FORMATS;

  render(change: ResourceChange, subscription: SubscriptionSnapshot, _ctx: RenderContext): RenderedPayload {
    const payload = nativePayloadOf(change);
    return renderCloudEvent(cloudEventSourceOf(payload), payload, subscription.payloadFormat);
  }

  /** The same event with the thin native payload as its data (`dataOmitted: true`). */
  renderThin(change: ResourceChange, subscription: SubscriptionSnapshot): RenderedPayload {
    const payload = thinNativePayloadOf(change);
    return renderCloudEvent(cloudEventSourceOf(payload), payload, subscription.payloadFormat);
  }
}

export function isCloudEventsFormat(format: string): boolean {
  return (CLOUDEVENTS_FORMATS as readonly string[]).includes(format);
}

/**
 * An event Herald makes itself (`webhook.test`, the operational `hook.*` events) in a hook's
 * format: a CloudEvent in the hook's mode for a CloudEvents hook, else the JSON body as it is.
 */
export function renderHeraldEvent(format: string, event: CloudEventSource, body: unknown): RenderedPayload {
  if (isCloudEventsFormat(format)) return renderCloudEvent(event, body, format as PayloadFormat);
  return { body: JSON.stringify(body), contentType: 'application/json', headers: {} };
}

/**
 * The content type and format headers a logged body goes out with again (redeliver, replay: the
 * delivery log keeps the body only). A hook's format never changes, so they follow from it: a
 * structured CloudEvent is `application/cloudevents+json`; a binary one's `ce-*` headers are
 * rebuilt from its body, the native payload; every other format is plain JSON.
 */
export function framingOf(format: string, body: string): Pick<RenderedPayload, 'contentType' | 'headers'> {
  if (format === CLOUDEVENTS_STRUCTURED) return { contentType: CLOUDEVENTS_STRUCTURED_CONTENT_TYPE, headers: {} };
  if (format === CLOUDEVENTS_BINARY) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = null;
    }
    // What the attributes need; a native payload has it, and so has an operational event's body.
    const payload = NativePayloadSchema.pick({ id: true, type: true, timestamp: true, tenantId: true, resource: true }).safeParse(parsed);
    if (payload.success) {
      const { headers, contentType } = renderCloudEvent(cloudEventSourceOf(payload.data), null, CLOUDEVENTS_BINARY);
      return { contentType, headers };
    }
  }
  return { contentType: 'application/json', headers: {} };
}
