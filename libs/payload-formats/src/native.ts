import { z } from 'zod';
import {
  eventTypeOf,
  InitiatorSchema,
  type PayloadFormat,
  type PayloadRenderer,
  type RenderContext,
  type RenderedPayload,
  type ResourceChange,
  type SubscriptionSnapshot,
} from '@herald/contracts';

/**
 * The body of a native delivery (Standard Webhooks style: `type`, `timestamp`, `data`). The zod
 * schema is the one source: `NativePayload` is inferred from it, `/v1/event-types` publishes it
 * as JSON Schema, and the renderer's output is checked against it in the tests.
 */
export const NativePayloadSchema = z.object({
  id: z.string().min(1).describe('The change\'s event id (also sent as `webhook-id`): receivers de-duplicate on it'),
  type: z.string().min(1).describe('The event type, e.g. `task.completed`'),
  timestamp: z.iso.datetime({ offset: true }).describe('When the change was made'),
  tenantId: z.string().min(1),
  projectId: z.string().nullable().describe('The project the resource belongs to (a project\'s own id for a project), or null'),
  resource: z.object({ type: z.string().min(1), id: z.string().min(1) }),
  initiator: InitiatorSchema.describe('Who made the change'),
  changedFields: z.array(z.string()).describe('Fields that changed (empty for created/deleted)'),
  data: z
    .looseObject({
      previous: z
        .record(z.string(), z.unknown())
        .optional()
        .describe('The old values of the changed fields, when the change had a before-state'),
    })
    .describe('The resource after the change (before it, for a delete), as the domain API shows it'),
  dataOmitted: z
    .literal(true)
    .optional()
    .describe(
      'Present (true) when the resource was too large to deliver: `data` is empty; fetch the resource from the domain API (`resource.type`, `resource.id`)',
    ),
});
export type NativePayload = z.infer<typeof NativePayloadSchema>;

/** Herald's own format: what `/v1/webhooks` subscriptions receive unless they ask for another. */
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

  renderThin(change: ResourceChange): RenderedPayload {
    return { body: JSON.stringify(thinNativePayloadOf(change)), contentType: 'application/json', headers: {} };
  }
}

/**
 * The native payload without the resource's fields (`data` empty, `dataOmitted: true`): what a
 * change too large to deliver whole becomes. Everything else (id, type, resource, initiator,
 * changed fields) is there, so a receiver can fetch what it needs.
 */
export function thinNativePayloadOf(change: ResourceChange): NativePayload {
  return { ...nativePayloadOf({ ...change, before: null, after: null }), data: {}, dataOmitted: true };
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
