import { z } from 'zod';
import type { PayloadFormat, PayloadRenderer, RenderContext, RenderedPayload, ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { companyIdOf, eventNumberOf, ulidOf } from './ids';
import { payloadVersionOf, procoreOptionsOf } from './policy';
import { PROCORE_EVENT_TYPES, procoreEventTypeOf, resourceByType } from './resources';

const ProcoreEventTypeSchema = z.enum(PROCORE_EVENT_TYPES);
const procoreTimestampSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/).describe('UTC, microseconds: 2025-02-06T23:34:12.246562Z');

/** Payload v2.0 (v3.0 adds `related_resources`). */
export const ProcoreV2PayloadSchema = z.strictObject({
  id: z.number().int().describe('The event id (derived from the change: the same on a retry)'),
  ulid: z.string().length(26),
  timestamp: procoreTimestampSchema,
  metadata: z.strictObject({
    source_user_id: z.string(),
    source_project_id: z.string().nullable(),
    source_operation_id: z.string().nullable(),
    source_company_id: z.number().int(),
    source_application_id: z.string().nullable(),
  }),
  user_id: z.string(),
  company_id: z.number().int(),
  project_id: z.string().nullable(),
  api_version: z.enum(['v2.0', 'v3.0']),
  event_type: ProcoreEventTypeSchema,
  resource_name: z.string(),
  resource_id: z.string(),
  related_resources: z.array(z.strictObject({ id: z.string(), name: z.string() })).optional(),
});
export type ProcoreV2Payload = z.infer<typeof ProcoreV2PayloadSchema>;
export const ProcoreV3PayloadSchema = ProcoreV2PayloadSchema.extend({
  api_version: z.literal('v3.0'),
  related_resources: z.array(z.strictObject({ id: z.string(), name: z.string() })),
});

/** Payload v4.0. */
export const ProcoreV4PayloadSchema = z.strictObject({
  id: z.string().length(26).describe('A ULID derived from the change: the same on a retry'),
  timestamp: procoreTimestampSchema,
  reason: ProcoreEventTypeSchema,
  company_id: z.string(),
  project_id: z.string().nullable(),
  user_id: z.string(),
  resource_type: z.string(),
  resource_id: z.string(),
});
export type ProcoreV4Payload = z.infer<typeof ProcoreV4PayloadSchema>;

/** The body schema of each Procore payload version. */
export const PROCORE_PAYLOAD_SCHEMAS = {
  'procore-v2.0': ProcoreV2PayloadSchema.extend({ api_version: z.literal('v2.0'), related_resources: z.undefined().optional() }),
  'procore-v3.0': ProcoreV3PayloadSchema,
  'procore-v4.0': ProcoreV4PayloadSchema,
} as const;

/** Procore's microsecond-precision UTC timestamp (`2025-02-06T23:34:12.246562Z`). */
function procoreTimestamp(iso: string): string {
  return new Date(iso).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** v3.0's related resources: the parent a line-item-like resource belongs to. */
function relatedResources(change: ResourceChange): { id: string; name: string }[] {
  const state = change.after ?? change.before ?? {};
  const taskId = state['taskId'];
  if ((change.resourceType === 'subtask' || change.resourceType === 'comment') && typeof taskId === 'string') {
    return [{ id: taskId, name: 'Tasks' }];
  }
  return [];
}

/** The payload of one change in a hook's payload version; null when no trigger of the hook covers it. */
export function procorePayloadOf(change: ResourceChange, subscription: Pick<SubscriptionSnapshot, 'payloadFormat' | 'formatOptions'>): ProcoreV2Payload | ProcoreV4Payload | null {
  const version = payloadVersionOf(subscription.payloadFormat);
  const resource = resourceByType(change.resourceType);
  if (!version || !resource) return null;
  const eventType = procoreEventTypeOf(change.action);
  const { triggers } = procoreOptionsOf(subscription.formatOptions);
  if (!triggers.some((t) => t.resource_type === change.resourceType && t.event_type === eventType)) return null;
  const companyId = companyIdOf(change.tenantId);
  const projectId = change.projectId ?? null;
  const timestamp = procoreTimestamp(change.occurredAt);
  if (version === 'v4.0') {
    return {
      id: ulidOf(change.eventId, change.occurredAt),
      timestamp,
      reason: eventType,
      company_id: String(companyId),
      project_id: projectId,
      user_id: change.initiator.userId,
      resource_type: resource.name,
      resource_id: change.resourceId,
    };
  }
  const payload: ProcoreV2Payload = {
    id: eventNumberOf(change.eventId),
    ulid: ulidOf(change.eventId, change.occurredAt),
    timestamp,
    metadata: {
      source_user_id: change.initiator.userId,
      source_project_id: projectId,
      source_operation_id: null,
      source_company_id: companyId,
      source_application_id: null,
    },
    user_id: change.initiator.userId,
    company_id: companyId,
    project_id: projectId,
    api_version: version,
    event_type: eventType,
    resource_name: resource.name,
    resource_id: change.resourceId,
  };
  if (version === 'v3.0') payload.related_resources = relatedResources(change);
  return payload;
}

/** Procore payloads v2.0, v3.0 and v4.0 (Procore's "Webhooks Payload Formats"). */
export class ProcorePayloadRenderer implements PayloadRenderer {
  readonly formats: readonly PayloadFormat[] = ['procore-v2.0', 'procore-v3.0', 'procore-v4.0'];

  render(change: ResourceChange, subscription: SubscriptionSnapshot, _ctx: RenderContext): RenderedPayload | null {
    const payload = procorePayloadOf(change, subscription);
    return payload && { body: JSON.stringify(payload), contentType: 'application/json', headers: {} };
  }
}
