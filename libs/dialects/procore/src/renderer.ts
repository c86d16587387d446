import type {
  PayloadFormat,
  PayloadRenderer,
  RenderContext,
  RenderedPayload,
  ResourceChange,
  SubscriptionSnapshot,
} from '@herald/contracts';
import { companyIdOf, eventNumberOf, ulidOf } from './ids';
import { payloadVersionOf, procoreOptionsOf } from './policy';
import { procoreEventTypeOf, resourceByType } from './resources';

export interface ProcoreV2Payload {
  id: number;
  ulid: string;
  timestamp: string;
  metadata: {
    source_user_id: string;
    source_project_id: string | null;
    source_operation_id: string | null;
    source_company_id: number;
    source_application_id: string | null;
  };
  user_id: string;
  company_id: number;
  project_id: string | null;
  api_version: 'v2.0' | 'v3.0';
  event_type: 'create' | 'update' | 'delete';
  resource_name: string;
  resource_id: string;
  related_resources?: { id: string; name: string }[];
}

export interface ProcoreV4Payload {
  id: string;
  timestamp: string;
  reason: 'create' | 'update' | 'delete';
  company_id: string;
  project_id: string | null;
  user_id: string;
  resource_type: string;
  resource_id: string;
}

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
