import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { PPM_EVENT_NAMES, PpmCreateWebhookSchema } from '@herald/dialects/ppm-express';
import {
  DELIVERY_STATUS_FILTERS,
  HookFieldsSchema,
  PROCORE_EVENT_TYPES,
  PROCORE_MAX_PAGE,
  PROCORE_MAX_PER_PAGE,
  PROCORE_RESOURCES,
  TriggerFieldsSchema,
  V1BulkCreateSchema,
  V1BulkDeleteSchema,
  V1HookBodySchema,
  V1TriggerBodySchema,
  V2BulkCreateSchema,
  V2BulkDeleteSchema,
} from '@herald/dialects/procore';
import { ProProfsSubscribeSchema } from '@herald/dialects/proprofs';
import { WORKSECTION_EVENT_NAMES } from '@herald/dialects/worksection';

/*
 * The dialect routes in the registry's OpenAPI document: each with its request schema (from the
 * zod schema that validates it), its answers and its own error shape. Who may call and how each
 * refusal looks is set by path in ../http/auth-docs.ts. One decorator per route, so a controller
 * reads as before: `@ProcoreDocs.v1.create()` above `@Post('hooks')`.
 */

type Schema = Record<string, unknown>;
const schema = (s: Schema) => s as unknown as SchemaObject;
const bodyOf = (s: z.ZodType): SchemaObject => schema(refined(z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Schema));

/** A pattern matching any of the words in any letter case (JSON Schema patterns have no flags). */
const anyCase = (words: readonly string[]) =>
  `^\\s*(${words.map((w) => [...w].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')).join('|')})\\s*$`;
/**
 * What the zod schemas check with code rather than a schema, said in the schema: Procore's trigger
 * fields are a resource name and an event type in any letter case (the use case looks them up).
 */
const REFINED: Record<string, Schema> = {
  resource_name: { type: 'string', maxLength: 200, pattern: anyCase(PROCORE_RESOURCES.map((r) => r.name)), description: 'A webhooks resource (GET …/webhooks/resources), any letter case' },
  event_type: { type: 'string', maxLength: 20, pattern: anyCase(PROCORE_EVENT_TYPES), description: 'create, update or delete, any letter case' },
};
function refined(node: Schema): Schema {
  const props = node['properties'] as Record<string, Schema> | undefined;
  if (props) for (const [k, v] of Object.entries(props)) props[k] = REFINED[k] ?? refined(v);
  for (const key of ['items', 'anyOf', 'oneOf', 'allOf']) {
    const v = node[key];
    if (Array.isArray(v)) node[key] = v.map((x) => refined(x as Schema));
    else if (v && typeof v === 'object') node[key] = refined(v as Schema);
  }
  return node;
}
/** A hook's api_version / payload_version: what normalizePayloadVersion takes (the zod schema checks it in a transform). */
function versionFields(fields: Schema): Schema {
  const props = fields['properties'] as Record<string, Schema>;
  for (const k of ['api_version', 'payload_version']) props[k] = { type: 'string', pattern: '^\\s*[vV]?[234](\\.0)?\\s*$', examples: ['v2.0', 'v4.0'] };
  return fields;
}
/**
 * An update's hook fields: no payload version. Procore fixes it when the hook is created ("once the
 * hook is created, the payload version cannot be changed": delete and re-create the hook), so a
 * PATCH naming another version is a 400 and one repeating the hook's own changes nothing; the
 * document offers neither (fuzz:api: most schema-valid patches named another version, a
 * "schema validation mismatch").
 */
function withoutVersionFields(fields: Schema): Schema {
  const { api_version: _api, payload_version: _payload, ...props } = fields['properties'] as Record<string, Schema>;
  fields['properties'] = props;
  return fields;
}
/**
 * A Procore hook body with what the use case (not the zod schema) requires: a destination_url, one
 * payload version field (both: they must agree), and for v1.0 the company or project it belongs to.
 */
function procoreHookBody(s: z.ZodType, where: 'v1' | 'v2' | 'v1-update'): Schema {
  const body = bodyOf(s) as Schema;
  const fields = (
    where === 'v2' ? body : ((body['properties'] as Schema)['hook'] as Schema)
  ) as Schema;
  if (where === 'v1-update') {
    withoutVersionFields(fields);
    return body;
  }
  fields['required'] = [
    ...((fields['required'] as string[] | undefined) ?? []),
    'destination_url',
    ...(where === 'v2' ? ['namespace'] : []),
  ];
  fields['not'] = { required: ['api_version', 'payload_version'] };
  versionFields(fields);
  if (where === 'v2')
    fields['anyOf'] = [{ required: ['payload_version'] }, { required: ['api_version'] }];
  if (where === 'v1')
    body['anyOf'] = [
      { required: ['company_id'] },
      { required: ['project_id'] },
      { required: ['project_template_id'] },
    ];
  return body;
}
/** A v1.0 trigger body names its company or project in the body (the use case refuses one without). */
function v1Scoped(s: z.ZodType): Schema {
  const body = bodyOf(s) as Schema;
  body['anyOf'] = [{ required: ['company_id'] }, { required: ['project_id'] }, { required: ['project_template_id'] }];
  return body;
}
const json = (s: Schema) => ({ 'application/json': { schema: schema(s) } });
const requestBody = (s: Schema | SchemaObject) =>
  ApiBody({ required: true, schema: s as SchemaObject });
const answer = (status: number, description: string, s: Schema) =>
  ApiResponse({ status, description, content: json(s) });
const str = { type: 'string' };
const nullable = (type: string, extra: Schema = {}) => ({ type: [type, 'null'], ...extra });

/* ---------- ProProfs ---------- */

const proprofsError = {
  type: 'object',
  properties: { error: { type: 'string' } },
  required: ['error'],
  description: 'ProProfs: {"error": "<why>"}',
};

export const ProProfsDocs = {
  tags: () => ApiTags('dialect: ProProfs Project'),
  subscribe: () =>
    applyDecorators(
      ApiOperation({
        summary: 'Subscribe (REST hook)',
        description:
          "The body is read as JSON whatever its Content-Type says. target_url must be unique among the tenant's ProProfs hooks. docs/dialects/proprofs.md",
      }),
      requestBody(bodyOf(ProProfsSubscribeSchema) as Schema),
      answer(201, 'Subscribed: keep the id to unsubscribe', {
        type: 'object',
        properties: { id: { type: 'string', pattern: '^[0-9]{1,39}$' } },
        required: ['id'],
      }),
      answer(
        400,
        'A missing or extra field, an unknown event, a URL Herald may not call',
        proprofsError,
      ),
      answer(
        401,
        "Missing or wrong key, a domain that is not the key's tenant, a revoked key, a key without the webhooks scope",
        proprofsError,
      ),
      answer(409, 'The tenant already has a ProProfs hook on that target_url', proprofsError),
      answer(503, 'The registry is still loading principals: retry shortly', proprofsError),
    ),
  unsubscribe: () =>
    applyDecorators(
      ApiOperation({
        summary: 'Unsubscribe',
        description: "Another user's hook needs the administrative scope (else 401).",
      }),
      ApiParam({
        name: 'id',
        schema: schema({ type: 'string' }),
        description: 'The id subscribe answered',
      }),
      answer(200, 'Unsubscribed', { type: 'object', maxProperties: 0 }),
      answer(401, "Missing or wrong credentials, or another user's hook", proprofsError),
      answer(404, 'No ProProfs hook with that id in the tenant', proprofsError),
      answer(503, 'The registry is still loading principals: retry shortly', proprofsError),
    ),
};

/* ---------- Worksection ---------- */

const wsError = {
  type: 'object',
  description:
    "Worksection's error envelope, always with HTTP 200. status_code: 1 unknown action, 2 hash or token refused, 3 missing parameter, 4 unknown value, 5 no such webhook, 11 URL check failed, 503 still starting",
  properties: {
    status: { const: 'error' },
    status_code: { type: 'integer' },
    message: str,
    message_details: str,
  },
  required: ['status', 'status_code', 'message'],
};
const wsHook = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: '^[0-9]+$' },
    url: str,
    events: { type: 'string', description: 'comma separated' },
    status: { enum: ['active', 'active_with_failures', 'disabled'] },
    projects: { type: 'string', description: 'comma separated project ids, when limited to some' },
  },
  required: ['id', 'url', 'events', 'status'],
};
const wsOk = (properties: Schema, required: string[] = []) => ({
  type: 'object',
  properties: { status: { const: 'ok' }, ...properties },
  required: ['status', ...required],
});
const wsAnswer = anyOfAnswer([
  wsOk({ id: { type: 'integer' } }, ['id']),
  wsOk({ data: { type: 'array', items: wsHook } }, ['data']),
  wsOk({}),
  wsError,
]);
function anyOfAnswer(variants: Schema[]): Schema {
  return { anyOf: variants };
}
const wsEvents = `comma separated: ${WORKSECTION_EVENT_NAMES.join(', ')}`;
const wsQuery = () =>
  applyDecorators(
    ApiQuery({
      name: 'action',
      required: true,
      schema: schema({ enum: ['add_webhook', 'get_webhooks', 'delete_webhook'] }),
    }),
    ApiQuery({
      name: 'url',
      required: false,
      schema: schema(str),
      description: 'add_webhook (required there): must answer 200 + {"status":"OK"} within 5 s',
    }),
    ApiQuery({
      name: 'events',
      required: false,
      schema: schema(str),
      description: `add_webhook (required there), ${wsEvents}`,
    }),
    ApiQuery({
      name: 'projects',
      required: false,
      schema: schema(str),
      description: 'add_webhook: comma separated project ids (all when absent)',
    }),
    ApiQuery({
      name: 'http_user',
      required: false,
      schema: schema(str),
      description: 'add_webhook: basic auth user',
    }),
    ApiQuery({
      name: 'http_pass',
      required: false,
      schema: schema(str),
      description: 'add_webhook: basic auth password',
    }),
    ApiQuery({
      name: 'id',
      required: false,
      schema: schema(str),
      description: 'delete_webhook (required there)',
    }),
  );
const wsOperation = (summary: string, description: string) =>
  applyDecorators(
    ApiOperation({
      summary,
      description: `${description} Every answer is HTTP 200: {"status":"ok",…} or the error envelope. docs/dialects/worksection.md`,
    }),
    wsQuery(),
    answer(
      200,
      'add_webhook: {"status":"ok","id":N}; get_webhooks: {"status":"ok","data":[…]}; delete_webhook: {"status":"ok"}; or the error envelope',
      wsAnswer,
    ),
  );
const wsSettingsAnswer = anyOfAnswer([
  wsOk({ id: { type: 'integer' }, data: wsHook }, ['data']),
  wsError,
]);

export const WorksectionDocs = {
  tags: () => ApiTags('dialect: Worksection'),
  admin: () =>
    wsOperation(
      'Admin API (add_webhook, get_webhooks, delete_webhook)',
      'Signed with hash = md5(query string without hash + admin API key). GET and POST are the same (parameters in the query string).',
    ),
  oauth: () =>
    wsOperation(
      'OAuth2 API (add_webhook, get_webhooks, delete_webhook)',
      'A Bearer key with the administrative scope. GET and POST are the same.',
    ),
  settingsCreate: () =>
    applyDecorators(
      ApiOperation({
        summary: 'Settings page: add a webhook',
        description:
          'Created disabled; enabling it checks the URL. Bearer key with the administrative scope.',
      }),
      requestBody({
        type: 'object',
        properties: {
          url: str,
          events: {
            anyOf: [
              { type: 'array', items: { enum: WORKSECTION_EVENT_NAMES } },
              { type: 'string', description: wsEvents },
            ],
          },
          projects: { anyOf: [{ type: 'array', items: str }, str] },
          http_user: str,
          http_pass: str,
        },
        required: ['url', 'events'],
      }),
      answer(200, '{"status":"ok","id":N,"data":{…}} or the error envelope', wsSettingsAnswer),
    ),
  settingsToggle: (verb: 'Enable' | 'Disable') =>
    applyDecorators(
      ApiOperation({
        summary: `Settings page: ${verb.toLowerCase()} a webhook`,
        description:
          verb === 'Enable'
            ? 'Re-checks the URL (status_code 11 when it fails).'
            : 'Turns it off (grey).',
      }),
      ApiParam({
        name: 'id',
        schema: schema({ type: 'string' }),
        description: "The webhook's integer id",
      }),
      answer(200, '{"status":"ok","data":{…}} or the error envelope', wsSettingsAnswer),
    ),
};

/* ---------- Procore ---------- */

const procoreError = {
  type: 'object',
  description: 'Procore: {"error": {"code", "message", "details"}}',
  properties: {
    error: {
      type: 'object',
      properties: { code: str, message: str, details: {} },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
};
const procoreValidation = {
  type: 'object',
  description: 'Procore: {"errors": {field: [messages]}}',
  properties: { errors: { type: 'object', additionalProperties: { type: 'array', items: str } } },
  required: ['errors'],
};
const procoreErrors = (...statuses: number[]) =>
  applyDecorators(
    answer(400, 'Invalid input: {"errors": {field: [messages]}}; a body that is not JSON: {"error": {…}}', { anyOf: [procoreValidation, procoreError] }),
    answer(401, 'Missing, wrong or revoked key', procoreError),
    answer(403, 'Another company, or a key without the webhooks scope', procoreError),
    ...statuses.map((st) =>
      answer(
        st,
        st === 404 ? 'No such hook (or trigger) in that company or project' : 'Conflict',
        procoreError,
      ),
    ),
  );
const headerHint = {
  type: 'object',
  properties: {
    Authorization: { type: 'string', description: 'masked: ***** + its last 5 characters' },
  },
};
const v1Hook = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    api_version: nullable('string'),
    namespace: str,
    destination_url: str,
    destination_headers: headerHint,
    owned_by_company_id: nullable('integer'),
    owned_by_project_id: nullable('string'),
    owned_by_user_id: str,
  },
  required: [
    'id',
    'api_version',
    'namespace',
    'destination_url',
    'destination_headers',
    'owned_by_company_id',
    'owned_by_project_id',
    'owned_by_user_id',
  ],
};
const v2Hook = {
  type: 'object',
  properties: {
    id: str,
    status: { enum: ['active', 'disabled'] },
    payload_version: nullable('string'),
    namespace: str,
    destination_headers: headerHint,
    destination_url: str,
    trigger_count: { type: 'integer' },
    company_id: nullable('string'),
    project_id: nullable('string'),
    created_at: str,
    updated_at: str,
    hook_type: { const: 'classic' },
  },
  required: [
    'id',
    'status',
    'payload_version',
    'namespace',
    'destination_url',
    'trigger_count',
    'company_id',
    'project_id',
    'created_at',
    'updated_at',
  ],
};
const v1Trigger = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    webhook_hook_id: { type: 'integer' },
    resource_name: str,
    resource_id: { type: 'null' },
    event_type: { enum: [...PROCORE_EVENT_TYPES] },
    company_id: nullable('integer'),
    project_id: nullable('string'),
    user_id: str,
  },
  required: ['id', 'webhook_hook_id', 'resource_name', 'event_type'],
};
const v2Trigger = {
  type: 'object',
  properties: {
    id: str,
    webhook_hook_id: str,
    resource_name: str,
    event_type: { enum: [...PROCORE_EVENT_TYPES] },
    company_id: nullable('string'),
    project_id: nullable('string'),
  },
  required: ['id', 'webhook_hook_id', 'resource_name', 'event_type'],
};
const v2Data = (s: Schema) => ({ type: 'object', properties: { data: s }, required: ['data'] });
const list = (s: Schema) => ({ type: 'array', items: s });
const attempt = {
  type: 'object',
  properties: {
    id: str,
    success: { type: 'boolean' },
    response_status: nullable('integer'),
    response_body: nullable('string'),
    response_headers: { type: 'object' },
    started_at: str,
    completed_at: str,
  },
};
const v2Delivery = {
  type: 'object',
  properties: {
    id: str,
    status: str,
    payload: nullable('object'),
    delivery_attempts: list(attempt),
  },
  required: ['id', 'status', 'delivery_attempts'],
};
const v1Delivery = {
  type: 'object',
  properties: {
    id: str,
    event_id: str,
    event: nullable('object'),
    outcome: str,
    response_status: nullable('integer'),
    response_body: nullable('string'),
    response_error: nullable('string'),
    response_headers: { type: 'object' },
    started_at: str,
    completed_at: nullable('string'),
  },
  required: ['id', 'event_id', 'outcome'],
};
const resourceNames = PROCORE_RESOURCES.map((r) => r.name);
const v1Resource = {
  type: 'object',
  properties: {
    api_version: str,
    product_category: str,
    tools: str,
    name: { enum: resourceNames },
  },
  required: ['name'],
};
const v2Resource = {
  type: 'object',
  properties: {
    category: str,
    tool: str,
    name: { enum: resourceNames },
    payload_version: str,
    actions: list({ enum: [...PROCORE_EVENT_TYPES] }),
  },
  required: ['name'],
};
/** An optional payload version: empty is the default (v2.0). */
const optionalPayloadVersion = { type: 'string', pattern: '^(\\s*[vV]?[234](\\.0)?\\s*)?$', examples: ['v2.0', 'v4.0'] };
/** Payload versions as the API takes them (`v2`, `v2.0`, `2`…): what normalizePayloadVersion accepts. */
const payloadVersion = {
  type: 'string',
  pattern: '^\\s*[vV]?[234](\\.0)?\\s*$',
  examples: ['v2.0', 'v4.0'],
};

/**
 * The v1.0 routes' scope: company_id (a project's hooks: `project_id` instead, or
 * `project_template_id`, accepted but left out here — OpenAPI cannot say "one of these two").
 */
const companyQuery = () =>
  ApiQuery({
    name: 'company_id',
    required: true,
    schema: schema({ type: 'integer', minimum: 1 }),
    description:
      'Your company (GET /rest/v1.0/companies); another company is a 403. A project\'s hooks: project_id=<id> instead (it wins over company_id).',
  });
const deliveryFilters = (v1: boolean) =>
  applyDecorators(
    ...(v1
      ? [
          ApiQuery({
            name: 'filters[status]',
            required: false,
            schema: schema({ enum: Object.keys(DELIVERY_STATUS_FILTERS) }),
          }),
        ]
      : [
          ApiQuery({
            name: 'filter[status]',
            required: false,
            schema: schema({ enum: Object.keys(DELIVERY_STATUS_FILTERS) }),
          }),
          ApiQuery({
            name: 'filter[resource_name]',
            required: false,
            schema: schema({ enum: resourceNames }),
          }),
          ApiQuery({
            name: 'filter[event_type]',
            required: false,
            schema: schema({ enum: [...PROCORE_EVENT_TYPES] }),
          }),
          ApiQuery({
            name: 'filter[start]',
            required: false,
            schema: schema({
              type: 'string',
              format: 'date',
              pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
            }),
          }),
          ApiQuery({
            name: 'filter[end]',
            required: false,
            schema: schema({
              type: 'string',
              format: 'date',
              pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
            }),
          }),
        ]),
    // Outside these bounds (or not a whole number) is a 400 naming the parameter, never a page
    // other than the one asked for.
    ApiQuery({
      name: 'page',
      required: false,
      schema: schema({ type: 'integer', minimum: 1, maximum: PROCORE_MAX_PAGE, default: 1 }),
    }),
    ApiQuery({
      name: 'per_page',
      required: false,
      schema: schema({ type: 'integer', minimum: 1, maximum: PROCORE_MAX_PER_PAGE, default: 100 }),
    }),
    ...(v1
      ? [
          ApiQuery({
            name: 'page_size',
            required: false,
            schema: schema({ type: 'integer', minimum: 1, maximum: PROCORE_MAX_PER_PAGE, default: 100 }),
            description: 'v1.0 spelling of per_page (per_page wins when both are given)',
          }),
        ]
      : []),
  );
const op = (summary: string, description?: string) =>
  ApiOperation({ summary, ...(description ? { description } : {}) });
const idParam = (name: string, what: string) =>
  ApiParam({ name, schema: schema({ type: 'string', pattern: '^[0-9]+$' }), description: what });
const bulkDeleted = (ids: Schema) => ({
  type: 'object',
  properties: { success: list(ids), failed: list({ type: 'object' }) },
  required: ['success'],
});

export const ProcoreDocs = {
  tags: () => ApiTags('dialect: Procore'),
  companies: () =>
    applyDecorators(
      op('List companies', "Your tenant as Procore's company: learn its company_id."),
      answer(
        200,
        'One company',
        list({
          type: 'object',
          properties: { id: { type: 'integer' }, name: str, is_active: { type: 'boolean' } },
          required: ['id', 'name', 'is_active'],
        }),
      ),
      answer(401, 'Missing, wrong or revoked key', procoreError),
    ),
  v1: {
    create: () =>
      applyDecorators(
        op(
          'Create a hook (v1.0)',
          'company_id or project_id in the body; payload version fixed at creation.',
        ),
        requestBody(procoreHookBody(V1HookBodySchema, 'v1')),
        answer(201, 'The hook', v1Hook),
        procoreErrors(),
      ),
    list: () =>
      applyDecorators(
        op('List hooks (v1.0)'),
        companyQuery(),
        ApiQuery({ name: 'namespace', required: false, schema: schema(str) }),
        ApiQuery({
          name: 'api_version',
          required: false,
          schema: schema(str),
          description: 'Only hooks of this payload version (an unknown one filters nothing)',
        }),
        answer(200, 'The hooks', list(v1Hook)),
        procoreErrors(),
      ),
    get: () =>
      applyDecorators(
        op('Show a hook (v1.0)'),
        idParam('id', 'The hook id'),
        companyQuery(),
        answer(200, 'The hook', v1Hook),
        procoreErrors(404),
      ),
    update: () =>
      applyDecorators(
        op('Update a hook (v1.0)', 'The payload version is fixed at creation: changing it is a 400.'),
        idParam('id', 'The hook id'),
        companyQuery(),
        requestBody(procoreHookBody(V1HookBodySchema.partial({ hook: true }), 'v1-update')),
        answer(200, 'The hook', v1Hook),
        procoreErrors(404),
      ),
    remove: () =>
      applyDecorators(
        op('Delete a hook (v1.0)'),
        idParam('id', 'The hook id'),
        companyQuery(),
        ApiResponse({ status: 200, description: 'Deleted (no body)' }),
        procoreErrors(404),
      ),
    triggers: () =>
      applyDecorators(
        op("List a hook's triggers (v1.0)"),
        idParam('hookId', 'The hook id'),
        companyQuery(),
        answer(200, 'The triggers', list(v1Trigger)),
        procoreErrors(404),
      ),
    bulkCreate: () =>
      applyDecorators(
        op('Create triggers (v1.0)', '207 when some fail (each with its errors).'),
        idParam('hookId', 'The hook id'),
        requestBody(v1Scoped(V1BulkCreateSchema)),
        answer(200, 'All created', {
          type: 'object',
          properties: { success: list(v1Trigger) },
          required: ['success'],
        }),
        answer(207, 'Some failed', {
          type: 'object',
          properties: { success: list(v1Trigger), failed: list({ type: 'object' }) },
          required: ['success', 'failed'],
        }),
        procoreErrors(404),
      ),
    bulkDelete: () =>
      applyDecorators(
        op('Delete triggers (v1.0)', '207 when some were not found.'),
        idParam('hookId', 'The hook id'),
        requestBody(v1Scoped(V1BulkDeleteSchema)),
        answer(200, 'All deleted', bulkDeleted({ type: 'integer' })),
        answer(207, 'Some not found', bulkDeleted({ type: 'integer' })),
        procoreErrors(404),
      ),
    createTrigger: () =>
      applyDecorators(
        op('Create a trigger (v1.0)'),
        idParam('hookId', 'The hook id'),
        requestBody(v1Scoped(V1TriggerBodySchema)),
        answer(201, 'The trigger', v1Trigger),
        procoreErrors(404),
      ),
    removeTrigger: () =>
      applyDecorators(
        op('Delete a trigger (v1.0)'),
        idParam('hookId', 'The hook id'),
        idParam('id', 'The trigger id'),
        companyQuery(),
        ApiResponse({ status: 200, description: 'Deleted (no body)' }),
        procoreErrors(404),
      ),
    deliveries: () =>
      applyDecorators(
        op(
          "A hook's deliveries (v1.0)",
          'Newest first; a Link rel="next" header when there is another page.',
        ),
        idParam('hookId', 'The hook id'),
        companyQuery(),
        deliveryFilters(true),
        answer(200, 'The deliveries', list(v1Delivery)),
        procoreErrors(404),
      ),
    resources: () =>
      applyDecorators(
        op('Webhook resources (v1.0)'),
        companyQuery(),
        ApiQuery({ name: 'api_version', required: false, schema: schema(optionalPayloadVersion) }),
        answer(200, 'The resources', list(v1Resource)),
        procoreErrors(),
      ),
  },
  v2: {
    create: () =>
      applyDecorators(
        op('Create a hook (v2.0)', 'payload_version (or api_version) and namespace are required.'),
        requestBody(procoreHookBody(HookFieldsSchema, 'v2')),
        answer(201, 'The hook', v2Data(v2Hook)),
        procoreErrors(),
      ),
    list: () =>
      applyDecorators(
        op('List hooks (v2.0)'),
        ApiQuery({ name: 'namespace', required: false, schema: schema(str) }),
        ApiQuery({
          name: 'payload_version',
          required: false,
          schema: schema(str),
          description: 'Only hooks of this payload version (an unknown one filters nothing)',
        }),
        answer(200, 'The hooks', v2Data(list(v2Hook))),
        procoreErrors(),
      ),
    get: () =>
      applyDecorators(
        op('Show a hook (v2.0)'),
        idParam('id', 'The hook id'),
        answer(200, 'The hook', v2Data(v2Hook)),
        procoreErrors(404),
      ),
    update: () =>
      applyDecorators(
        op(
          'Update a hook (v2.0)',
          'status: active | disabled turns it on and off; the payload version is fixed at creation (changing it is a 400).',
        ),
        idParam('id', 'The hook id'),
        requestBody(withoutVersionFields(bodyOf(HookFieldsSchema) as Schema)),
        answer(200, 'The hook', v2Data(v2Hook)),
        procoreErrors(404),
      ),
    remove: () =>
      applyDecorators(
        op('Delete a hook (v2.0)'),
        idParam('id', 'The hook id'),
        ApiResponse({ status: 204, description: 'Deleted' }),
        procoreErrors(404),
      ),
    triggers: () =>
      applyDecorators(
        op("List a hook's triggers (v2.0)"),
        idParam('hookId', 'The hook id'),
        answer(200, 'The triggers', v2Data(list(v2Trigger))),
        procoreErrors(404),
      ),
    bulkCreate: () =>
      applyDecorators(
        op(
          'Create triggers (v2.0)',
          '{"triggers": […]}, a bare array or one trigger; 207 when some fail.',
        ),
        idParam('hookId', 'The hook id'),
        requestBody(bodyOf(V2BulkCreateSchema) as Schema),
        answer(201, 'All created', v2Data(list(v2Trigger))),
        answer(207, 'Some failed', v2Data(list({ type: 'object' }))),
        procoreErrors(404),
      ),
    bulkDelete: () =>
      applyDecorators(
        op(
          'Delete triggers (v2.0)',
          'An array of trigger ids (or {"trigger_ids": […]}); 207 when some were not found.',
        ),
        idParam('hookId', 'The hook id'),
        requestBody(bodyOf(V2BulkDeleteSchema) as Schema),
        answer(
          200,
          'All deleted',
          v2Data({ type: 'object', properties: { succeeded: list(str) }, required: ['succeeded'] }),
        ),
        answer(
          207,
          'Some not found',
          v2Data({
            type: 'object',
            properties: { succeeded: list(str), failed: list(str) },
            required: ['succeeded', 'failed'],
          }),
        ),
        procoreErrors(404),
      ),
    createTrigger: () =>
      applyDecorators(
        op('Create a trigger (v2.0)'),
        idParam('hookId', 'The hook id'),
        requestBody(bodyOf(TriggerFieldsSchema) as Schema),
        answer(201, 'The trigger', v2Data(v2Trigger)),
        procoreErrors(404),
      ),
    removeTrigger: () =>
      applyDecorators(
        op('Delete a trigger (v2.0)'),
        idParam('hookId', 'The hook id'),
        idParam('id', 'The trigger id'),
        ApiResponse({ status: 204, description: 'Deleted' }),
        procoreErrors(404),
      ),
    deliveries: () =>
      applyDecorators(
        op(
          "A hook's deliveries (v2.0)",
          'Newest first; a Link rel="next" header when there is another page.',
        ),
        idParam('hookId', 'The hook id'),
        deliveryFilters(false),
        answer(200, 'The deliveries', v2Data(list(v2Delivery))),
        procoreErrors(404),
      ),
    resources: () =>
      applyDecorators(
        op('Webhook resources (v2.0)'),
        ApiQuery({ name: 'payload_version', required: true, schema: schema(payloadVersion) }),
        answer(200, 'The resources', v2Data(list(v2Resource))),
        procoreErrors(),
      ),
  },
  /** The v2.0 path parameters: the company (and project) in the path. */
  v2Scope: () =>
    applyDecorators(
      ApiParam({
        name: 'companyId',
        schema: schema({ type: 'string', pattern: '^[0-9]{1,16}$' }),
        description: 'Your company id (GET /rest/v1.0/companies); another is a 403',
      }),
    ),
};

/* ---------- PPM Express ---------- */

/**
 * Headers Herald sets itself are refused by the core's settings (Authorization is taken as the
 * hook's Authorization setting): the create body's header name and value say so.
 */
const RESERVED_HEADER_NAMES = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type', 'content-length', 'transfer-encoding', 'host', 'connection'];
function ppmCreateBody(): Schema {
  const body = bodyOf(PpmCreateWebhookSchema) as Schema;
  const header = ((body['properties'] as Record<string, Schema>)['headers']['items'] as Schema)['properties'] as Record<string, Schema>;
  header['name'] = {
    type: 'string',
    pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$",
    not: { anyOf: [{ pattern: anyCase(RESERVED_HEADER_NAMES) }, { pattern: '^[cC][eE]-' }] },
    description: "An HTTP header name; not one Herald sets itself (Content-Type, Host, webhook-*, ce-*…)",
  };
  header['value'] = { type: 'string', maxLength: 4096, pattern: '^[^\\r\\n\\u0000]*$' };
  return body;
}

const ppmError = {
  type: 'object',
  description: 'PPM Express: {"error": {"code", "message", "details"?: [{"target", "message"}]}}',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: str,
        message: str,
        details: list({
          type: 'object',
          properties: { target: str, message: str },
          required: ['target', 'message'],
        }),
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
};
const ppmWebhook = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    eventTypes: list({ enum: PPM_EVENT_NAMES }),
    headers: list({
      type: 'object',
      properties: { name: str, value: str },
      required: ['name', 'value'],
    }),
    httpVerb: { enum: ['POST', 'PUT', 'PATCH'] },
    url: str,
  },
  required: ['id', 'eventTypes', 'headers', 'httpVerb', 'url'],
};
const ppmCommon = (row: boolean) =>
  applyDecorators(
    ApiParam({
      name: 'tenant',
      schema: schema(str),
      description: "Your tenant's slug; a token of another tenant is a 401",
    }),
    ApiParam({
      name: 'apiVersion',
      schema: schema({ type: 'string', pattern: '^[vV][0-9]+(\\.[0-9]+)?$', examples: ['v1'] }),
      description: 'v1 (any v<major>[.<minor>]; anything else is a 404)',
    }),
    ...(row
      ? [
          ApiParam({
            name: 'id',
            schema: schema({ type: 'string', format: 'uuid' }),
            description: 'The webhook id',
          }),
        ]
      : []),
    answer(401, 'A missing, wrong or revoked token, or one of another tenant', ppmError),
    answer(403, 'A token without the webhooks or administrative scope (deleting all: administrative)', ppmError),
    answer(
      404,
      row
        ? 'No PPM Express webhook with that id (or an unknown API version)'
        : 'An unknown API version',
      ppmError,
    ),
    answer(503, 'The registry is still loading principals: retry shortly', ppmError),
  );

export const PpmExpressDocs = {
  tags: () => ApiTags('dialect: PPM Express'),
  create: () =>
    applyDecorators(
      op(
        'Create a webhook',
        'Header names Herald sets itself are refused. docs/dialects/ppm-express.md',
      ),
      ppmCommon(false),
      requestBody(ppmCreateBody()),
      answer(200, 'The webhook (header values redacted: at most their last 4 characters)', v2Data(ppmWebhook)),
      answer(
        400,
        'Unknown event type, missing or unknown field, a URL Herald may not call',
        ppmError,
      ),
    ),
  list: () =>
    applyDecorators(
      op("List the tenant's PPM Express webhooks"),
      ppmCommon(false),
      answer(200, 'The webhooks', v2Data(list(ppmWebhook))),
    ),
  get: () =>
    applyDecorators(
      op('Get a webhook'),
      ppmCommon(true),
      answer(200, 'The webhook', v2Data(ppmWebhook)),
    ),
  remove: () =>
    applyDecorators(
      op('Delete a webhook'),
      ppmCommon(true),
      ApiResponse({ status: 204, description: 'Deleted' }),
    ),
  removeAll: () =>
    applyDecorators(
      op(
        "Delete all of the tenant's PPM Express webhooks",
        'Needs the administrative scope (else 403); hooks made through other APIs stay.',
      ),
      ppmCommon(false),
      ApiResponse({ status: 204, description: 'Deleted' }),
    ),
};
