import { z } from 'zod';
import { TEST_EVENT_TYPE, type RenderedPayload } from '@herald/contracts';
import { renderHeraldEvent } from './cloudevents';

/** The body of `POST /v1/webhooks/{id}/test` (Standard Webhooks' shape), for every format but CloudEvents. */
export const TestEventPayloadSchema = z.object({
  id: z.string().min(1).describe('The test\'s webhook-id (msg_…); a new one for every test'),
  type: z.literal(TEST_EVENT_TYPE),
  timestamp: z.iso.datetime({ offset: true }),
  tenantId: z.string().min(1),
  data: z.object({ subscriptionId: z.string().min(1), message: z.string() }),
});
export type TestEventPayload = z.infer<typeof TestEventPayloadSchema>;

export interface TestEventInput {
  webhookId: string;
  tenantId: string;
  subscriptionId: string;
  now: Date;
}

export function testEventPayloadOf(t: TestEventInput): TestEventPayload {
  return {
    id: t.webhookId,
    type: TEST_EVENT_TYPE,
    timestamp: t.now.toISOString(),
    tenantId: t.tenantId,
    data: { subscriptionId: t.subscriptionId, message: 'This is a test event sent by Herald.' },
  };
}

/**
 * The `webhook.test` event in a hook's payload format: a CloudEvents hook gets it as a CloudEvent
 * (type `io.herald.webhook.test`, subject `webhook/<subscription id>`) in its mode, so that a
 * receiver built on a CloudEvents SDK can parse its test too; every other format gets the
 * Standard Webhooks-shaped JSON body.
 */
export function renderTestEvent(format: string, t: TestEventInput): RenderedPayload {
  const payload = testEventPayloadOf(t);
  const event = { id: payload.id, type: payload.type, time: payload.timestamp, tenantId: payload.tenantId, subject: `webhook/${t.subscriptionId}` };
  return renderHeraldEvent(format, event, payload);
}
