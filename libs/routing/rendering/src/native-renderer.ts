import {
  eventTypeOf,
  type PayloadFormat,
  type PayloadRenderer,
  type RenderContext,
  type RenderedPayload,
  type ResourceChange,
  type SubscriptionSnapshot,
} from '@herald/contracts';

/** The body of a native delivery (Standard Webhooks style: `type`, `timestamp`, `data`). */
export interface NativePayload {
  /** The change's event id (also sent as `webhook-id`): receivers deduplicate on it. */
  id: string;
  type: string;
  timestamp: string;
  tenantId: string;
  projectId: string | null;
  resource: { type: string; id: string };
  initiator: { userId: string; fullName: string; logonAccount: string };
  /** Fields that changed (empty for created/deleted). */
  changedFields: string[];
  /**
   * The resource after the change (before it, for a delete), plus `previous`: the old values
   * of the changed fields, when the change had a before-state.
   */
  data: Record<string, unknown> & { previous?: Record<string, unknown> };
}

/** Herald's own format: what `/v1/webhooks` subscriptions receive unless they ask for a dialect. */
export class NativePayloadRenderer implements PayloadRenderer {
  readonly formats: readonly PayloadFormat[] = ['native'];

  render(
    change: ResourceChange,
    _subscription: SubscriptionSnapshot,
    _ctx: RenderContext,
  ): RenderedPayload {
    return {
      body: JSON.stringify(nativePayloadOf(change)),
      contentType: 'application/json',
      headers: {},
    };
  }
}

export function nativePayloadOf(change: ResourceChange): NativePayload {
  const state = (change.action === 'deleted' ? change.before : change.after) ?? change.before ?? {};
  const data: NativePayload['data'] = { ...state };
  if (change.action !== 'deleted' && change.before && change.changedFields.length > 0) {
    const before = change.before;
    data.previous = Object.fromEntries(change.changedFields.map((f) => [f, before[f] ?? null]));
  }
  return {
    id: change.eventId,
    type: eventTypeOf(change),
    timestamp: change.occurredAt,
    tenantId: change.tenantId,
    projectId: change.projectId ?? null,
    resource: { type: change.resourceType, id: change.resourceId },
    initiator: change.initiator,
    changedFields: change.changedFields,
    data,
  };
}
