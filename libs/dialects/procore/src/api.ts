import { z } from 'zod';
import { companyIdOf } from './ids';
import { normalizePayloadVersion, payloadVersionOf, procoreOptionsOf, type PayloadVersion } from './policy';
import { PROCORE_EVENT_TYPES, PROCORE_RESOURCES, parseEventType, resourceByName, type ProcoreEventType, type ProcoreResource } from './resources';

/* ---------- requests ---------- */

/** The largest `page` of a hook's deliveries, and the largest `per_page` (v1.0: `page_size`); beyond is a 400. */
export const PROCORE_MAX_PAGE = 100_000;
export const PROCORE_MAX_PER_PAGE = 1000;

/** company_id as Procore clients send it: a number or a numeric string. */
const CompanyIdSchema = z.union([z.number().int().positive(), z.string().regex(/^\d{1,16}$/).transform(Number)]);
// eslint-disable-next-line no-control-regex -- NUL never reaches PostgreSQL (its text refuses it)
const ProjectIdSchema = z.union([z.string().min(1).max(200).regex(/^[^\u0000]*$/, 'must not contain NUL'), z.number().int().positive().transform(String)]);
const PayloadVersionSchema = z.string().transform((v, ctx) => {
  const n = normalizePayloadVersion(v);
  if (!n) ctx.addIssue({ code: 'custom', message: 'must be one of v2.0, v3.0, v4.0' });
  return n as PayloadVersion;
});
const NamespaceSchema = z.string().regex(/^[a-z0-9-]{1,100}$/, 'lowercase a-z, digits 0-9 and dashes only');
const DestinationHeadersSchema = z.strictObject({
  // \u0000, not \0: the OpenAPI document's pattern must be one every regex dialect reads (schemathesis dropped `\0`).
  // At least one character: null (or leaving it out) is "no Authorization" (an empty one was a 400 the document allowed).
  // eslint-disable-next-line no-control-regex -- NUL is what this pattern is about
  Authorization: z.string().min(1).max(4096).regex(/^[^\r\n\u0000]*$/, 'must not contain CR, LF or NUL').nullable().optional(),
});

export const HookFieldsSchema = z.strictObject({
  api_version: PayloadVersionSchema.optional(),
  payload_version: PayloadVersionSchema.optional(),
  namespace: NamespaceSchema.optional(),
  destination_url: z.string().min(1).max(2048).optional(),
  destination_headers: DestinationHeadersSchema.optional(),
  status: z.enum(['active', 'disabled']).optional(),
});
export type HookFields = z.output<typeof HookFieldsSchema>;

/** v1.0: `{company_id | project_id, hook: {...}}`. */
export const V1HookBodySchema = z.strictObject({
  company_id: CompanyIdSchema.optional(),
  project_id: ProjectIdSchema.optional(),
  /** A project template's hook: copied to every project created from the template. */
  project_template_id: ProjectIdSchema.optional(),
  hook: HookFieldsSchema,
});

/** The scope query parameters of the v1.0 routes (either one). */
export const V1ScopeQuerySchema = z.looseObject({
  company_id: CompanyIdSchema.optional(),
  project_id: ProjectIdSchema.optional(),
});

export const TriggerFieldsSchema = z.strictObject({
  resource_name: z.string().min(1).max(200),
  event_type: z.string().min(1).max(20),
});

export const V1TriggerBodySchema = z.strictObject({
  company_id: CompanyIdSchema.optional(),
  project_id: ProjectIdSchema.optional(),
  project_template_id: ProjectIdSchema.optional(),
  api_version: z.string().optional(),
  trigger: TriggerFieldsSchema,
});

export const V1BulkCreateSchema = z.strictObject({
  company_id: CompanyIdSchema.optional(),
  project_id: ProjectIdSchema.optional(),
  project_template_id: ProjectIdSchema.optional(),
  api_version: z.string().optional(),
  triggers: z.array(TriggerFieldsSchema).min(1).max(500),
});

const TriggerIdSchema = z.union([z.number().int().positive(), z.string().regex(/^\d{1,18}$/).transform(Number)]);

export const V1BulkDeleteSchema = z.strictObject({
  company_id: CompanyIdSchema.optional(),
  project_id: ProjectIdSchema.optional(),
  project_template_id: ProjectIdSchema.optional(),
  api_version: z.string().optional(),
  trigger_ids: z.array(TriggerIdSchema).min(1).max(500),
});

/** v2.0 bulk create: `{triggers: [...]}`, a bare array, or one trigger. */
export const V2BulkCreateSchema = z.union([
  z.strictObject({ triggers: z.array(TriggerFieldsSchema).min(1).max(500) }),
  z.array(TriggerFieldsSchema).min(1).max(500),
  TriggerFieldsSchema.transform((t) => [t]),
]).transform((b) => (Array.isArray(b) ? b : b.triggers));

/** v2.0 bulk delete: an array of trigger ids (or `{trigger_ids: [...]}`). */
export const V2BulkDeleteSchema = z
  .union([z.array(TriggerIdSchema).min(1).max(500), z.strictObject({ trigger_ids: z.array(TriggerIdSchema).min(1).max(500) })])
  .transform((b) => (Array.isArray(b) ? b : b.trigger_ids));

export interface ParsedTrigger {
  resource: ProcoreResource;
  eventType: ProcoreEventType;
}

/** A trigger's resource and event type, or the error Procore would give for it. */
export function parseTrigger(t: { resource_name: string; event_type: string }): ParsedTrigger | { errors: Record<string, string[]> } {
  const resource = resourceByName(t.resource_name);
  const eventType = parseEventType(t.event_type);
  const errors: Record<string, string[]> = {};
  if (!resource) errors['resource_name'] = [`is not a webhooks resource (see GET /rest/v1.0/webhooks/resources): "${t.resource_name}"`];
  if (!eventType) errors['event_type'] = [`must be one of ${PROCORE_EVENT_TYPES.join(', ')}`];
  return resource && eventType ? { resource, eventType } : { errors };
}

/* ---------- responses ---------- */

/** What a hook view needs from a subscription (a structural subset of the registry's view). */
export interface HookSource {
  externalId: number;
  tenantId: string;
  ownerUserId: string;
  status: string;
  url: string;
  scope: { kind: 'tenant' } | { kind: 'project'; projectId: string } | { kind: 'projects'; projectIds: string[] };
  payloadFormat: string;
  formatOptions: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

const projectOf = (h: HookSource): string | null => (h.scope.kind === 'project' ? h.scope.projectId : null);
const headersOf = (h: HookSource) => {
  const hint = procoreOptionsOf(h.formatOptions).authorizationHint;
  return hint ? { Authorization: hint } : {};
};

/** v1.0 hook (`owned_by_*`, integer ids). */
export function v1Hook(h: HookSource) {
  const project = projectOf(h);
  return {
    id: h.externalId,
    api_version: payloadVersionOf(h.payloadFormat) ?? null,
    namespace: procoreOptionsOf(h.formatOptions).namespace,
    destination_url: h.url,
    destination_headers: headersOf(h),
    owned_by_company_id: project ? null : companyIdOf(h.tenantId),
    owned_by_project_id: project,
    owned_by_user_id: h.ownerUserId,
  };
}

const v2Status = (status: string): 'active' | 'disabled' => (status === 'active' || status === 'active-with-failures' ? 'active' : 'disabled');

/** v2.0 hook (string ids, status, trigger_count). */
export function v2Hook(h: HookSource) {
  const project = projectOf(h);
  const o = procoreOptionsOf(h.formatOptions);
  return {
    id: String(h.externalId),
    status: v2Status(h.status),
    payload_version: payloadVersionOf(h.payloadFormat) ?? null,
    namespace: o.namespace,
    destination_headers: headersOf(h),
    destination_url: h.url,
    trigger_count: o.triggers.length,
    company_id: project ? null : String(companyIdOf(h.tenantId)),
    project_id: project,
    created_at: h.createdAt,
    updated_at: h.updatedAt,
    hook_type: 'classic',
  };
}

export interface TriggerView {
  id: number;
  resource: ProcoreResource;
  eventType: ProcoreEventType;
}

export function v1Trigger(h: HookSource, t: TriggerView) {
  const project = projectOf(h);
  return {
    id: t.id,
    webhook_hook_id: h.externalId,
    resource_name: t.resource.name,
    resource_id: null,
    event_type: t.eventType,
    company_id: project ? null : companyIdOf(h.tenantId),
    project_id: project,
    user_id: h.ownerUserId,
  };
}

export function v2Trigger(h: HookSource, t: TriggerView) {
  const project = projectOf(h);
  return {
    id: String(t.id),
    webhook_hook_id: String(h.externalId),
    resource_name: t.resource.name,
    event_type: t.eventType,
    company_id: project ? null : String(companyIdOf(h.tenantId)),
    project_id: project,
  };
}

export function v1Resources(version: PayloadVersion) {
  return PROCORE_RESOURCES.map((r) => ({
    api_version: version,
    product_category: r.category,
    tools: r.tool,
    name: r.name,
    except: [] as string[],
    create: 'create',
    update: 'update',
    delete: 'delete',
  }));
}

export function v2Resources(version: PayloadVersion) {
  return PROCORE_RESOURCES.map((r) => ({ category: r.category, tool: r.tool, name: r.name, payload_version: version, actions: [...PROCORE_EVENT_TYPES] }));
}

/* ---------- deliveries ---------- */

/** Procore's `filter[status]` (v2.0) and `filters[status]` (v1.0) over the core statuses. */
export const DELIVERY_STATUS_FILTERS: Record<string, readonly string[]> = {
  succeeded: ['delivered'],
  failed: ['failed'],
  discarded: ['discarded'],
  enqueued: ['queued'],
  retrying: ['retrying'],
  // v1.0 spellings
  any: [],
  successful: ['delivered'],
  failing: ['failed', 'retrying'],
};

const V2_DELIVERY_STATUS: Record<string, string> = {
  delivered: 'delivered',
  failed: 'failed',
  discarded: 'discarded',
  queued: 'enqueued',
  retrying: 'retrying',
};
const V1_OUTCOME: Record<string, string> = { delivered: 'ok', failed: 'failed', discarded: 'discarded', queued: 'enqueued', retrying: 'retried' };

export interface DeliverySource {
  deliveryId: string;
  eventId: string;
  status: string;
  body: string | null;
  createdAt: Date;
  attemptLog: {
    attempt: number;
    status: string;
    at: Date;
    httpStatus: number | null;
    durationMs: number | null;
    errorClass: string | null;
    errorMessage: string | null;
    responseExcerpt: string | null;
  }[];
}

const parseBody = (body: string | null): Record<string, unknown> | null => {
  if (!body) return null;
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return null;
  }
};

const startedAt = (a: DeliverySource['attemptLog'][number]) => new Date(a.at.getTime() - (a.durationMs ?? 0)).toISOString();

/** v2.0 delivery: `{id, status, payload, delivery_attempts[]}`. */
export function v2Delivery(d: DeliverySource) {
  return {
    id: d.deliveryId,
    status: V2_DELIVERY_STATUS[d.status] ?? d.status,
    payload: parseBody(d.body),
    delivery_attempts: d.attemptLog
      .filter((a) => a.attempt > 0)
      .map((a) => ({
        id: `${d.deliveryId}-${a.attempt}`,
        success: a.status === 'delivered',
        response_status: a.httpStatus,
        response_body: a.responseExcerpt,
        response_headers: {},
        started_at: startedAt(a),
        completed_at: a.at.toISOString(),
      })),
  };
}

/** v1.0 delivery: the last attempt's answer with the event. */
export function v1Delivery(d: DeliverySource) {
  const last = d.attemptLog[d.attemptLog.length - 1];
  return {
    id: d.deliveryId,
    event_id: d.eventId,
    event: parseBody(d.body),
    outcome: V1_OUTCOME[d.status] ?? d.status,
    response_status: last?.httpStatus ?? null,
    response_body: last?.responseExcerpt ?? null,
    response_error: last?.errorMessage ?? last?.errorClass ?? null,
    response_headers: {},
    started_at: last ? startedAt(last) : d.createdAt.toISOString(),
    completed_at: last ? last.at.toISOString() : null,
  };
}

/* ---------- errors ---------- */

/** Procore's validation error body: `{"errors": {field: [messages]}}`. */
export function validationErrors(errors: Record<string, string[]>) {
  return { errors };
}

/** Procore's other errors: `{"error": {code, message, details}}`. */
export function procoreError(code: string, message: string, details: unknown = null) {
  return { error: { code, message, details } };
}
