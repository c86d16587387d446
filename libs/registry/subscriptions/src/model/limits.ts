import { z } from 'zod';
import type { FieldIssue } from './errors';
import { SCHEMA_BOUNDS, type SubscriptionSettings } from './settings';

/**
 * What one tenant may hold, so that no tenant's settings grow the snapshots every router and
 * dispatcher keeps in memory, or the requests every receiver is sent, without bound. Each is a
 * registry setting (README, "Configuration"); the dialects create and change hooks through the
 * same use cases, so the same limits hold on every API.
 */
export class SubscriptionLimits {
  constructor(
    /** Subscriptions a tenant may have, every API's and template copies included. */
    readonly hooksPerTenant = 1_000,
    /** Entries of `scope.projectIds` (scope kind `projects`). */
    readonly projectIdsPerHook = 1_000,
    /** Custom headers of a hook. */
    readonly headersPerHook = 50,
    /** Bytes (UTF-8) of a hook's custom header names and values and its Authorization value, together. */
    readonly headerBytesPerHook = 8 * 1024,
    /** Bytes (UTF-8) of a hook's `formatOptions` as JSON. */
    readonly formatOptionsBytes = 16 * 1024,
  ) {}
}

export const DEFAULT_SUBSCRIPTION_LIMITS = new SubscriptionLimits();

/** The registry's limit settings (README, "Configuration"), for its config schema. */
export const RegistryLimitsEnv = z.object({
  /** Request bodies of every API the registry serves (native and dialects): larger is a 413. */
  HERALD_MAX_REQUEST_BODY_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
  HERALD_MAX_HOOKS_PER_TENANT: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_SUBSCRIPTION_LIMITS.hooksPerTenant),
  HERALD_MAX_PROJECT_IDS_PER_HOOK: z.coerce.number().int().min(1).max(SCHEMA_BOUNDS.projectIds).default(DEFAULT_SUBSCRIPTION_LIMITS.projectIdsPerHook),
  HERALD_MAX_HEADERS_PER_HOOK: z.coerce.number().int().min(0).max(SCHEMA_BOUNDS.headers).default(DEFAULT_SUBSCRIPTION_LIMITS.headersPerHook),
  HERALD_MAX_HEADER_BYTES_PER_HOOK: z.coerce.number().int().min(256).max(64 * 1024).default(DEFAULT_SUBSCRIPTION_LIMITS.headerBytesPerHook),
  HERALD_MAX_FORMAT_OPTIONS_BYTES: z.coerce.number().int().min(1024).max(256 * 1024).default(DEFAULT_SUBSCRIPTION_LIMITS.formatOptionsBytes),
});

/** The subscription core's limits as configured. */
export function subscriptionLimitsOf(c: z.output<typeof RegistryLimitsEnv>): SubscriptionLimits {
  return new SubscriptionLimits(
    c.HERALD_MAX_HOOKS_PER_TENANT,
    c.HERALD_MAX_PROJECT_IDS_PER_HOOK,
    c.HERALD_MAX_HEADERS_PER_HOOK,
    c.HERALD_MAX_HEADER_BYTES_PER_HOOK,
    c.HERALD_MAX_FORMAT_OPTIONS_BYTES,
  );
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The headers a hook sends besides Herald's own: its custom ones and its Authorization value. */
export function headerBytes(headers: readonly { name: string; value: string }[], authorization: string | null): number {
  return headers.reduce((n, h) => n + bytes(h.name) + bytes(h.value), 0) + (authorization === null ? 0 : bytes('authorization') + bytes(authorization));
}

/** Each setting over its limit, as the field it is about. */
export function limitIssues(
  s: Partial<Pick<SubscriptionSettings, 'scope' | 'formatOptions' | 'headers' | 'authorization'>>,
  limits: SubscriptionLimits,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (s.scope?.kind === 'projects' && s.scope.projectIds.length > limits.projectIdsPerHook) {
    issues.push({ path: 'scope.projectIds', message: `at most ${limits.projectIdsPerHook} projects (${s.scope.projectIds.length} given)` });
  }
  if (s.formatOptions !== undefined) {
    const n = bytes(JSON.stringify(s.formatOptions));
    if (n > limits.formatOptionsBytes) issues.push({ path: 'formatOptions', message: `at most ${limits.formatOptionsBytes} bytes as JSON (${n} given)` });
  }
  if (s.headers !== undefined) {
    if (s.headers.length > limits.headersPerHook) {
      issues.push({ path: 'headers', message: `at most ${limits.headersPerHook} headers (${s.headers.length} given)` });
    }
    const n = headerBytes(s.headers, s.authorization ?? null);
    if (n > limits.headerBytesPerHook) {
      issues.push({
        path: 'headers',
        message: `custom header names and values and the Authorization value: at most ${limits.headerBytesPerHook} bytes together (${n} given)`,
      });
    }
  }
  return issues;
}
