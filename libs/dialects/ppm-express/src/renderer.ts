import { z } from 'zod';
import type { PayloadFormat, PayloadRenderer, RenderContext, RenderedPayload, ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { ppmAttributesOf, ppmParentOf } from './attributes';
import { PPM_PAYLOAD_FORMAT } from './policy';

/** A PPM Express webhook body, exactly as its examples show it. */
export const PpmPayloadSchema = z.strictObject({
  WebhookId: z.string().describe("The webhook's id"),
  MessageId: z.string().describe("The delivery's id: one per change and webhook, the same on a retry"),
  Data: z.strictObject({
    ParentEntityId: z.string().optional(),
    ParentEntityType: z.string().optional(),
    Id: z.string(),
    Attributes: z.record(z.string(), z.unknown()).describe('The state after the change (before it, for Deleted), in PPM Express attribute names'),
    BeforeAttributes: z.record(z.string(), z.unknown()).optional().describe('On updates only: the attributes before the change'),
    Initiator: z.strictObject({ UserId: z.string(), FullName: z.string(), LogonAccount: z.string() }),
    TimeStamp: z.iso.datetime({ offset: true }).describe('When the change was made'),
  }),
});
export type PpmPayload = z.infer<typeof PpmPayloadSchema>;

/**
 * `WebhookId` is the webhook's id (the subscription's UUID, what the API shows), `MessageId` the
 * delivery id (stable across retries), `TimeStamp` when the change happened.
 */
export function ppmPayloadOf(change: ResourceChange, webhookId: string, messageId: string): PpmPayload | null {
  const isDelete = change.action === 'deleted';
  const state = (isDelete ? change.before : change.after) ?? {};
  const attributes = ppmAttributesOf(change.resourceType, state);
  if (!attributes) return null;
  // Created and Deleted carry the one state; every other action is an update (Task:Updated covers complete/reopen).
  const before = change.action !== 'created' && !isDelete && change.before ? ppmAttributesOf(change.resourceType, change.before) : null;
  const parent = ppmParentOf(change.resourceType, state);
  return {
    WebhookId: webhookId,
    MessageId: messageId,
    Data: {
      ...(parent ?? {}),
      Id: change.resourceId,
      Attributes: attributes,
      ...(before ? { BeforeAttributes: before } : {}),
      Initiator: {
        UserId: change.initiator.userId,
        FullName: change.initiator.fullName,
        LogonAccount: change.initiator.logonAccount,
      },
      TimeStamp: change.occurredAt,
    },
  };
}

export class PpmExpressPayloadRenderer implements PayloadRenderer {
  readonly formats: readonly PayloadFormat[] = [PPM_PAYLOAD_FORMAT];

  render(change: ResourceChange, subscription: SubscriptionSnapshot, ctx: RenderContext): RenderedPayload | null {
    const payload = ppmPayloadOf(change, subscription.id, ctx.deliveryId);
    if (!payload) return null;
    return { body: JSON.stringify(payload), contentType: 'application/json', headers: {} };
  }
}
