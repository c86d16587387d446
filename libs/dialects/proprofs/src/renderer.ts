import { z } from 'zod';
import type { PayloadFormat, PayloadRenderer, RenderContext, RenderedPayload, ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { PROPROFS_RESOURCE_PATHS, proprofsEventOf } from './events';
import { PROPROFS_PAYLOAD_FORMAT } from './policy';

/** The notification body: where the receiver fetches the new data (with its key + domain). */
export const ProProfsNotificationSchema = z.strictObject({
  resource_url: z.url().describe('GET it with your key and domain headers: <domain API>/v2/{projects|tasks|subtasks|events|clients}/{id}'),
});
export type ProProfsNotification = z.infer<typeof ProProfsNotificationSchema>;

/** `<public base of the domain API>/v2/<resource path>/<id>`, e.g. `…/v2/events/123456`. */
export function resourceUrlOf(change: Pick<ResourceChange, 'resourceType' | 'resourceId'>, publicBaseUrl: string): string | null {
  const path = PROPROFS_RESOURCE_PATHS[change.resourceType];
  if (!path) return null;
  return `${publicBaseUrl.replace(/\/+$/, '')}/v2/${path}/${encodeURIComponent(change.resourceId)}`;
}

/** ProProfs' REST hook notification: `{"resource_url": "…"}`, nothing else. */
export class ProProfsPayloadRenderer implements PayloadRenderer {
  readonly formats: readonly PayloadFormat[] = [PROPROFS_PAYLOAD_FORMAT];

  render(change: ResourceChange, _subscription: SubscriptionSnapshot, ctx: RenderContext): RenderedPayload | null {
    // A change ProProfs has no event name for is not sent in this format.
    if (!proprofsEventOf(ctx.eventType)) return null;
    const resourceUrl = resourceUrlOf(change, ctx.publicBaseUrl);
    if (!resourceUrl) return null;
    const body: ProProfsNotification = { resource_url: resourceUrl };
    return { body: JSON.stringify(body), contentType: 'application/json', headers: {} };
  }
}
