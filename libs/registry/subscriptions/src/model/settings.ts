import { z } from 'zod';
import {
  DEFAULT_RETRY_POLICY,
  MIN_RATE_LIMIT_PER_SEC,
  RETRY_SCHEDULE_ENTRY_MAX_MS,
  PayloadFormatSchema,
  RESOURCE_TYPES,
  isKnownEventType,
  isOperationalEventType,
  type FailurePolicy,
} from '@herald/contracts';
import { SubscriptionValidationError, type FieldIssue } from './errors';
import type { PlainSettings } from './plain-settings';

/**
 * What a caller may set on a subscription, secrets in clear (they are sealed before they are
 * stored). Every object is strict: an unknown field is an error, not silently dropped.
 * The same schemas serve the native API and every dialect, so a policy is a setting, not code.
 */

const HOUR = 3_600_000;

export const DEFAULT_FAILURE_POLICY: FailurePolicy = {
  unsubscribeOn: [410],
  unsubscribeAction: 'delete',
  autoDisableAfter: 20,
  deleteAtThreshold: false,
};

export const DEFAULT_TIMEOUT_MS = 5_000;

/** Headers Herald sets itself (signature, framing) or takes from their own settings. */
export const RESERVED_HEADER_NAMES: readonly string[] = [
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'authorization',
];
const RESERVED_HEADERS: ReadonlySet<string> = new Set(RESERVED_HEADER_NAMES);

const HeaderNameSchema = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'not a valid HTTP header name')
  .refine((n) => !RESERVED_HEADERS.has(n.toLowerCase()), {
    message: 'reserved: Herald sets this header itself (use `authorization` for Authorization)',
  })
  .refine((n) => !n.toLowerCase().startsWith('ce-'), {
    message: 'reserved: ce-* headers carry CloudEvents attributes, which Herald sets itself',
  });
const HeaderValueSchema = z
  .string()
  .max(4096)
  // \u0000, not \0: the OpenAPI document's pattern must be one every regex dialect reads.
  // eslint-disable-next-line no-control-regex -- NUL is what this pattern is about
  .regex(/^[^\r\n\u0000]*$/, 'must not contain CR, LF or NUL');

export const PlainHeaderSchema = z.strictObject({ name: HeaderNameSchema, value: HeaderValueSchema });
export type PlainHeader = z.infer<typeof PlainHeaderSchema>;

export const UrlSchema = z
  .string()
  .max(2048)
  .refine((u) => URL.canParse(u), { message: 'not a valid URL' })
  .refine((u) => !URL.canParse(u) || ['http:', 'https:'].includes(new URL(u).protocol), {
    message: 'only http and https URLs',
  })
  .refine((u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password), {
    message: 'credentials in the URL are not allowed (use basicAuth)',
  });

export const EventTypesSchema = z
  .array(z.string().min(1))
  .min(1, 'at least one event type ("*" for all)')
  .superRefine((types, ctx) => {
    types.forEach((t, i) => {
      if (!isKnownEventType(t)) ctx.addIssue({ code: 'custom', path: [i], message: `unknown event type "${t}" (see GET /v1/event-types)` });
    });
  })
  // "*" covers everything; duplicates say nothing more.
  .transform((types) => (types.includes('*') ? ['*'] : [...new Set(types)]));

/**
 * Hard bounds of the schemas themselves; the configurable limits (`SubscriptionLimits`: project
 * ids, headers, formatOptions) are checked by the use cases and cannot be set above these.
 */
export const SCHEMA_BOUNDS = {
  projectIds: 10_000,
  headers: 1_000,
  filterValues: 200,
  filterAttributes: 50,
  text: 200,
  filterText: 1_000,
} as const;

/** NUL never reaches PostgreSQL: its text and jsonb refuse it (a 500 before, found by fuzz:api). */
// eslint-disable-next-line no-control-regex -- NUL is what this pattern is about
export const NO_NUL = /^[^\u0000]*$/;
/** UTF-16 without a lone surrogate: jsonb refuses one (`"\ud800"`), text would silently store U+FFFD. */
const WELL_FORMED = /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
/** Text a hook stores (a column or inside jsonb): at most `max` characters, no NUL, well-formed. */
const storedText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(NO_NUL, 'must not contain NUL')
    .refine((v) => WELL_FORMED.test(v), 'must be well-formed Unicode (no lone surrogate)');

/** Every string of a JSON value (keys too) that jsonb can store, or the path of the first one it cannot. */
function unstorableIn(value: unknown, path: (string | number)[] = []): (string | number)[] | null {
  const bad = (s: string) => !NO_NUL.test(s) || !WELL_FORMED.test(s);
  if (typeof value === 'string') return bad(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = unstorableIn(value[i], [...path, i]);
      if (p) return p;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (bad(k)) return [...path, k];
      const p = unstorableIn(v, [...path, k]);
      if (p) return p;
    }
  }
  return null;
}

/**
 * How deep arrays and objects nest inside formatOptions (the document describes exactly this:
 * a $ref cannot recurse inside it). Procore's options are the deepest a dialect keeps:
 * `triggers[i].event_type`.
 */
export const FORMAT_OPTIONS_DEPTH = 2;
function tooDeepIn(options: Record<string, unknown>): (string | number)[] | null {
  const walk = (value: unknown, depth: number, path: (string | number)[]): (string | number)[] | null => {
    if (value === null || typeof value !== 'object') return null;
    if (depth > FORMAT_OPTIONS_DEPTH) return path;
    for (const [k, v] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
      const p = walk(v, depth + 1, [...path, k]);
      if (p) return p;
    }
    return null;
  };
  for (const [k, v] of Object.entries(options)) {
    const p = walk(v, 1, [k]);
    if (p) return p;
  }
  return null;
}

const ProjectIdSchema = storedText(SCHEMA_BOUNDS.text).min(1);

export const StrictScopeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('tenant') }),
  z.strictObject({ kind: z.literal('projects'), projectIds: z.array(ProjectIdSchema).min(1).max(SCHEMA_BOUNDS.projectIds) }),
  z.strictObject({ kind: z.literal('project'), projectId: ProjectIdSchema }),
]);

/** The keys fieldFilters and resourceFilters take: a resource type or "*". */
export const FILTER_KEY_NAMES: readonly string[] = ['*', ...RESOURCE_TYPES];
const FILTER_KEYS: ReadonlySet<string> = new Set(FILTER_KEY_NAMES);
const resourceTypeKeys = (what: string) => (rec: Record<string, unknown>, ctx: z.RefinementCtx) => {
  for (const k of Object.keys(rec)) {
    if (!FILTER_KEYS.has(k)) ctx.addIssue({ code: 'custom', path: [k], message: `${what}: "${k}" is not a resource type or "*"` });
  }
};

export const FieldFiltersSchema = z
  .record(z.string(), z.array(storedText(SCHEMA_BOUNDS.text).min(1)).min(1).max(SCHEMA_BOUNDS.filterValues))
  .superRefine(resourceTypeKeys('fieldFilters'));
export const ResourceFiltersSchema = z
  .record(
    z.string(),
    z
      .record(storedText(SCHEMA_BOUNDS.text), z.union([storedText(SCHEMA_BOUNDS.filterText), z.number(), z.boolean(), z.null()]))
      .refine((attrs) => Object.keys(attrs).length <= SCHEMA_BOUNDS.filterAttributes, {
        message: `at most ${SCHEMA_BOUNDS.filterAttributes} attributes per resource type`,
      }),
  )
  .superRefine(resourceTypeKeys('resourceFilters'));

export const RetryPolicyPatchSchema = z.strictObject({
  scheduleMs: z
    .array(
      z
        .number()
        .int()
        .min(0)
        .max(RETRY_SCHEDULE_ENTRY_MAX_MS, `at most ${RETRY_SCHEDULE_ENTRY_MAX_MS} ms (6 h, the longest retry tier); repeat an entry for longer waits`),
    )
    .min(1)
    .max(50),
  maxAttempts: z.number().int().min(1).max(100),
  maxAgeMs: z.number().int().min(1).max(30 * 24 * HOUR),
  onExhausted: z.enum(['dlq', 'discard']),
}).partial();

export const FailurePolicyPatchSchema = z.strictObject({
  unsubscribeOn: z.array(z.number().int().min(100).max(599)),
  unsubscribeAction: z.enum(['delete', 'disable']),
  autoDisableAfter: z.number().int().min(1).nullable(),
  deleteAtThreshold: z.boolean(),
  /** What autoDisableAfter counts: failed attempts (default) or failed deliveries (see registry/delivery-log README). */
  countFailures: z.enum(['attempts', 'deliveries']),
}).partial();

export const BasicAuthSchema = z.strictObject({
  // \u0000: PostgreSQL's text refuses NUL (a 500 before); the pattern must be one every regex dialect reads.
  // eslint-disable-next-line no-control-regex -- NUL is what this pattern is about
  user: z.string().min(1).max(256).regex(/^[^:\r\n\u0000]*$/, 'must not contain ":", line breaks or NUL'),
  // eslint-disable-next-line no-control-regex -- NUL is what this pattern is about
  password: z.string().max(1024).regex(/^[^\r\n\u0000]*$/, 'must not contain line breaks or NUL'),
});

/** Every setting, all optional: the shape of a patch. */
const settingFields = {
  url: UrlSchema,
  httpVerb: z.enum(['POST', 'PUT', 'PATCH']),
  eventTypes: EventTypesSchema,
  scope: StrictScopeSchema,
  ownerOnly: z.boolean(),
  fieldFilters: FieldFiltersSchema,
  resourceFilters: ResourceFiltersSchema,
  payloadFormat: PayloadFormatSchema,
  formatOptions: z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
    const path = unstorableIn(v);
    if (path) ctx.addIssue({ code: 'custom', path, message: 'must not contain NUL or a lone surrogate (in a key or a text)' });
    const deep = tooDeepIn(v);
    if (deep) ctx.addIssue({ code: 'custom', path: deep, message: `at most ${FORMAT_OPTIONS_DEPTH} levels of arrays and objects inside formatOptions` });
  }),
  templateId: storedText(200).min(1).nullable(),
  headers: z.array(PlainHeaderSchema).max(SCHEMA_BOUNDS.headers),
  authorization: HeaderValueSchema.min(1).nullable(),
  basicAuth: BasicAuthSchema.nullable(),
  successContract: z.enum(['2xx', 'status-ok', '200', '200-or-204']),
  timeoutMs: z.number().int().min(100).max(30_000),
  rateLimitPerSec: z
    .number()
    .min(MIN_RATE_LIMIT_PER_SEC, `at least ${MIN_RATE_LIMIT_PER_SEC} attempt a second (null: no limit); a receiver that needs longer pauses should answer 429 with Retry-After`)
    .max(100_000)
    .nullable(),
  retryPolicy: RetryPolicyPatchSchema,
  deliveryMode: z.enum(['independent', 'ordered']),
  failurePolicy: FailurePolicyPatchSchema,
};

export const SubscriptionPatchSchema = z.strictObject(settingFields).partial();
export type SubscriptionPatch = z.input<typeof SubscriptionPatchSchema>;
type ParsedPatch = z.output<typeof SubscriptionPatchSchema>;

/** Creating needs a URL and event types; everything else has a default. */
export const SubscriptionSettingsInputSchema = SubscriptionPatchSchema.required({ url: true, eventTypes: true });
export type SubscriptionSettingsInput = z.input<typeof SubscriptionSettingsInputSchema>;

/** Every setting with its value: what a subscription is made of (secrets still in clear). */
export interface SubscriptionSettings extends PlainSettings {
  headers: PlainHeader[];
  authorization: string | null;
  basicAuth: { user: string; password: string } | null;
}

export function issuesOf(error: z.ZodError, prefix: (string | number)[] = []): FieldIssue[] {
  return error.issues.map((i) => ({ path: [...prefix, ...i.path].map(String).join('.'), message: i.message }));
}

/** Parses with a schema or throws a `SubscriptionValidationError` naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix: (string | number)[] = []): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new SubscriptionValidationError(issuesOf(r.error, prefix));
  return r.data;
}

/** A new subscription's settings: the caller's, over the defaults (and a dialect's defaults, given first). */
export function settingsForCreate(input: unknown, dialectDefaults: SubscriptionPatch = {}): SubscriptionSettings {
  const defaults = parseOrThrow(SubscriptionPatchSchema, dialectDefaults, ['defaults']);
  const given = parseOrThrow(SubscriptionSettingsInputSchema, input) as ParsedPatch;
  const merged: ParsedPatch = { ...defaults, ...stripUndefined(given) };
  // Both required by the input schema.
  const { url, eventTypes } = given as Required<Pick<ParsedPatch, 'url' | 'eventTypes'>>;
  return checkCoherent({
    url,
    httpVerb: merged.httpVerb ?? 'POST',
    eventTypes,
    scope: merged.scope ?? { kind: 'tenant' },
    ownerOnly: merged.ownerOnly ?? false,
    fieldFilters: merged.fieldFilters ?? {},
    resourceFilters: merged.resourceFilters ?? {},
    payloadFormat: merged.payloadFormat ?? 'native',
    formatOptions: merged.formatOptions ?? {},
    templateId: merged.templateId ?? null,
    headers: merged.headers ?? [],
    authorization: merged.authorization ?? null,
    basicAuth: merged.basicAuth ?? null,
    successContract: merged.successContract ?? '2xx',
    timeoutMs: merged.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    rateLimitPerSec: merged.rateLimitPerSec ?? null,
    retryPolicy: { ...DEFAULT_RETRY_POLICY, ...stripUndefined(defaults.retryPolicy ?? {}), ...stripUndefined(given.retryPolicy ?? {}) },
    deliveryMode: merged.deliveryMode ?? 'independent',
    failurePolicy: {
      ...DEFAULT_FAILURE_POLICY,
      ...stripUndefined(defaults.failurePolicy ?? {}),
      ...stripUndefined(given.failurePolicy ?? {}),
    },
  });
}

/** Parses a patch; nested policies are merged over the current ones by `applyPatch`. */
export function parsePatch(input: unknown): ParsedPatch {
  return stripUndefined(parseOrThrow(SubscriptionPatchSchema, input));
}

/**
 * The settings after a patch. Secrets left out of the patch keep their stored values, which is
 * why this works on the non-secret part only and returns which secret fields the patch replaces.
 */
export function applyPatch<T extends PlainSettings>(
  current: T,
  patch: ParsedPatch,
): T {
  const { headers: _h, authorization: _a, basicAuth: _b, retryPolicy, failurePolicy, ...plain } = patch;
  return checkCoherent({
    ...current,
    ...plain,
    retryPolicy: { ...current.retryPolicy, ...stripUndefined(retryPolicy ?? {}) },
    failurePolicy: { ...current.failurePolicy, ...stripUndefined(failurePolicy ?? {}) },
  });
}

/** The formats an operational event (hook.*) can be sent in: a dialect's format has no such event. */
export const OPERATIONAL_PAYLOAD_FORMATS = ['native', 'cloudevents-structured', 'cloudevents-binary'] as const;
const OPERATIONAL_FORMATS: ReadonlySet<string> = new Set(OPERATIONAL_PAYLOAD_FORMATS);

/** Rules across fields, checked after defaults and patches are applied. */
function checkCoherent<T extends Pick<SubscriptionSettings, 'scope' | 'templateId' | 'retryPolicy'> & Partial<Pick<SubscriptionSettings, 'eventTypes' | 'payloadFormat'>>>(
  s: T,
): T {
  const issues: FieldIssue[] = [];
  if (s.eventTypes?.some(isOperationalEventType) && s.payloadFormat && !OPERATIONAL_FORMATS.has(s.payloadFormat)) {
    issues.push({
      path: 'payloadFormat',
      message: `a hook for operational events (hook.*) gets Herald's own payload: payloadFormat ${[...OPERATIONAL_FORMATS].map((f) => `"${f}"`).join(', ')}`,
    });
  }
  if (s.templateId && s.scope.kind !== 'project') {
    issues.push({ path: 'templateId', message: 'only a project-level subscription (scope.kind "project") can belong to a template' });
  }
  if (s.retryPolicy.scheduleMs.length === 0) issues.push({ path: 'retryPolicy.scheduleMs', message: 'at least one delay' });
  if (issues.length) throw new SubscriptionValidationError(issues);
  return s;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
