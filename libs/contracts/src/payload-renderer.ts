import type { ResourceChange } from './resource-change';
import type { PayloadFormat, SubscriptionSnapshot } from './subscription';

/**
 * What a payload renderer produces for one (change × subscription): the exact body the dispatcher
 * will sign and send, its content type, and the non-secret headers the format asks for.
 * Lives in contracts (types only) so that the dialect libs (scope:dialects) can implement
 * renderers that the event-router's rendering registry plugs in.
 */
export interface RenderedPayload {
  body: string;
  contentType: string;
  headers: Record<string, string>;
}

export interface RenderContext {
  /** The core event type of the change (`task.completed`). */
  eventType: string;
  /** The delivery this rendering is for (a UUID; stable if the same change is routed again). */
  deliveryId: string;
  /** When the router routed the change. */
  routedAt: Date;
  /** Public base URL of the domain API (resource URLs in payloads, e.g. ProProfs' `resource_url`). */
  publicBaseUrl: string;
}

/**
 * Renders a change in one or more payload formats. `render` returns null when this change is not
 * sent in this format (e.g. an event the dialect has no name for); it throws when it cannot
 * render (the router dead-letters that delivery with the reason and routes the others).
 */
export interface PayloadRenderer {
  readonly formats: readonly PayloadFormat[];
  render(
    change: ResourceChange,
    subscription: SubscriptionSnapshot,
    ctx: RenderContext,
  ): RenderedPayload | null;
  /**
   * The change without the resource's fields, for a delivery too large to carry whole (over
   * the router's `HERALD_ROUTER_MAX_DELIVERY_BYTES`): the receiver learns what changed and
   * fetches the resource. A format without it has such deliveries dead-lettered.
   */
  renderThin?(
    change: ResourceChange,
    subscription: SubscriptionSnapshot,
    ctx: RenderContext,
  ): RenderedPayload | null;
}
