import { z } from 'zod';
import { EncryptedValueSchema } from './encrypted';

export const PAYLOAD_FORMATS = [
  'native',
  'proprofs',
  'worksection',
  'procore-v2.0',
  'procore-v3.0',
  'procore-v4.0',
  'ppm-express',
  /** CloudEvents 1.0 over HTTP: the whole event as the body (`application/cloudevents+json`). */
  'cloudevents-structured',
  /** CloudEvents 1.0 over HTTP: the data as the body, the attributes as `ce-*` headers. */
  'cloudevents-binary',
] as const;
export const PayloadFormatSchema = z.enum(PAYLOAD_FORMATS);
export type PayloadFormat = z.infer<typeof PayloadFormatSchema>;

export const SUBSCRIPTION_STATUSES = ['disabled', 'active', 'active-with-failures', 'auto-disabled'] as const;
export const SubscriptionStatusSchema = z.enum(SUBSCRIPTION_STATUSES);
export type SubscriptionStatus = z.infer<typeof SubscriptionStatusSchema>;

export const ScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tenant') }),
  z.object({ kind: z.literal('projects'), projectIds: z.array(z.string().min(1)).min(1) }),
  z.object({ kind: z.literal('project'), projectId: z.string().min(1) }),
]);
export type Scope = z.infer<typeof ScopeSchema>;

export const RetryPolicySchema = z.object({
  /** Delay before attempt n+1 after attempt n failed; the last entry repeats. */
  scheduleMs: z.array(z.number().int().min(0)).min(1),
  /** Attempts in all, the first included. */
  maxAttempts: z.number().int().min(1),
  /** A delivery older than this (since its first attempt) is not retried again. */
  maxAgeMs: z.number().int().min(1),
  /** What an exhausted delivery becomes: Failed into the DLQ, or Discarded. */
  onExhausted: z.enum(['dlq', 'discard']),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/**
 * The retry policy of a subscription created without one (the native API's default), and the
 * one the dispatcher falls back on when it cannot read a subscription: 7 attempts over at most
 * 24 h (5 s, 30 s, 2 min, 10 min, 1 h, 6 h), then the DLQ. Defined here only.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  scheduleMs: [5_000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000],
  maxAttempts: 7,
  maxAgeMs: 86_400_000,
  onExhausted: 'dlq',
};

export const FailurePolicySchema = z.object({
  /** Receiver statuses that end the subscription at once (ProProfs: 401; 410 is common). */
  unsubscribeOn: z.array(z.number().int().min(100).max(599)),
  /** What "end" means: delete the subscription, or disable it. */
  unsubscribeAction: z.enum(['delete', 'disable']),
  /** Consecutive failed deliveries after which the hook is auto-disabled (null: never). */
  autoDisableAfter: z.number().int().min(1).nullable(),
  /** Delete instead of auto-disabling at the threshold (ProProfs: removed after 3 failures). */
  deleteAtThreshold: z.boolean().default(false),
  /**
   * What `autoDisableAfter` counts: every failed attempt (the default: ProProfs "after 3 failed
   * attempts", Worksection "if 10 errors occur"), or only deliveries that ended Failed/Discarded
   * after their retries. Either way a success resets the count.
   */
  countFailures: z.enum(['attempts', 'deliveries']).optional(),
});
export type FailurePolicy = z.infer<typeof FailurePolicySchema>;

/**
 * The core settings a dialect chooses for every hook created through its API: its receiver
 * contract as settings (verb, success rule, timeout, retries, failure handling, order) and what
 * its API implies (scope, owner-only, filters, payload format). The registry's CreateSubscription
 * takes it as `dialectDefaults`, under the caller's own settings. One type for every dialect.
 */
export interface DialectPolicy {
  httpVerb?: 'POST' | 'PUT' | 'PATCH';
  scope?: Scope;
  ownerOnly?: boolean;
  fieldFilters?: Record<string, string[]>;
  resourceFilters?: Record<string, Record<string, string | number | boolean | null>>;
  payloadFormat?: PayloadFormat;
  successContract?: '2xx' | 'status-ok' | '200' | '200-or-204';
  timeoutMs?: number;
  rateLimitPerSec?: number | null;
  retryPolicy?: Partial<RetryPolicy>;
  deliveryMode?: 'independent' | 'ordered';
  failurePolicy?: Partial<FailurePolicy>;
}

export const HeaderPairSchema = z.object({ name: z.string().min(1), value: EncryptedValueSchema });

export const SigningSecretSchema = z.object({
  secret: EncryptedValueSchema,
  /** Set on the previous secret after a rotation: it keeps signing until then. */
  expiresAt: z.iso.datetime({ offset: true }).nullable(),
});

/**
 * The snapshot of a subscription on `herald.subscriptions.v1` (compacted, keyed by id): all the
 * router needs to match and render, and all the dispatcher needs to send. Secret fields are
 * encrypted; only the dispatcher decrypts them.
 */
export const SubscriptionSnapshotSchema = z.object({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  ownerUserId: z.string().min(1),
  /** Which API created it: 'native' or a dialect name. */
  dialect: z.string().min(1),
  status: SubscriptionStatusSchema,
  url: z.url(),
  httpVerb: z.enum(['POST', 'PUT', 'PATCH']),
  eventTypes: z.array(z.string().min(1)).min(1),
  scope: ScopeSchema,
  ownerOnly: z.boolean(),
  /**
   * Updates fire only when one of these fields changed, per resource type ('*' for all types):
   * PPM Express' "Details fields" rule is `{ project: [...], idea: [...] }`.
   */
  fieldFilters: z.record(z.string(), z.array(z.string().min(1)).min(1)).default({}),
  /**
   * Changes fire only when the resource's state (after, or before for a delete) has these
   * attribute values, per resource type: PPM Express' "internal tasks only" is `{ task: { external: false } }`.
   */
  resourceFilters: z
    .record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])))
    .default({}),
  payloadFormat: PayloadFormatSchema,
  /** Which template this project-level hook belongs to (copied to projects created from it). */
  templateId: z.string().nullish(),
  /** Dialect-specific settings the renderer needs (e.g. PPM Express' webhook id spelling). */
  formatOptions: z.record(z.string(), z.unknown()).default({}),
  headers: z.array(HeaderPairSchema),
  authorization: EncryptedValueSchema.nullable(),
  basicAuth: z.object({ user: z.string(), password: EncryptedValueSchema }).nullable(),
  /**
   * When an answer is a success: any 2xx; exactly HTTP 200 (`200`: ProProfs' "200 - OK", anything
   * else is a failure); HTTP 200 or 204 (`200-or-204`: Procore); or HTTP 200 with JSON
   * `{"status":"OK"}` (`status-ok`: Worksection).
   */
  successContract: z.enum(['2xx', 'status-ok', '200', '200-or-204']),
  timeoutMs: z.number().int().min(100).max(30_000),
  rateLimitPerSec: z.number().positive().nullable(),
  retryPolicy: RetryPolicySchema,
  deliveryMode: z.enum(['independent', 'ordered']),
  failurePolicy: FailurePolicySchema,
  signingSecrets: z.array(SigningSecretSchema).min(1),
  /** Increases with every change; consumers ignore an older version than the one they hold. */
  version: z.number().int().min(1),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type SubscriptionSnapshot = z.infer<typeof SubscriptionSnapshotSchema>;

export function subscriptionKey(s: Pick<SubscriptionSnapshot, 'id'>): string {
  return s.id;
}
