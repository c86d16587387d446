// The registry's native API, called from the console with the API key kept in sessionStorage.

const KEY = 'herald.apiKey';

export interface FieldProblem {
  path: string;
  message: string;
}

/** An RFC 9457 problem the API answered (or one the console made for a network error). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`${title}: ${detail}`);
  }
}

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

/**
 * For an effect that loads what its inputs select (a filter, a page, an id): an answer that comes
 * after the inputs changed is dropped, not shown. Without it a slow answer to an older filter
 * replaced a newer one's (the console e2e under load: "delivered" showed the empty answer to "failed").
 * `keep(fn)` wraps a setter; the effect returns `cancel`.
 */
export function whileCurrent(): { keep<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void; cancel: () => void } {
  let current = true;
  return {
    keep:
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A) => {
        if (current) fn(...args);
      },
    cancel: () => {
      current = false;
    },
  };
}

export async function api<T>(method: string, path: string, body?: unknown, key = session.key()): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        accept: 'application/json, application/problem+json',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'Network error', `The registry did not answer (${(e as Error).message}).`);
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const p = (parsed ?? {}) as { title?: string; detail?: string; errors?: FieldProblem[] } & Record<string, unknown>;
    throw new ApiError(res.status, p.title ?? res.statusText ?? 'Error', p.detail ?? (text.slice(0, 300) || `HTTP ${res.status}`), Array.isArray(p.errors) ? p.errors : [], p);
  }
  return parsed as T;
}

export type SubscriptionStatus = 'disabled' | 'active' | 'active-with-failures' | 'auto-disabled';
export type DeliveryStatus = 'queued' | 'retrying' | 'delivered' | 'failed' | 'discarded';

export interface HookStats {
  attempts: { delivered: number; retrying: number; failed: number; discarded: number; total: number };
  successRate: number | null;
  latencyMs: { p50: number | null; p99: number | null; mean: number | null };
  lastAttempt: { at: string; status: DeliveryStatus; httpStatus: number | null; errorClass: string | null } | null;
}

export interface Hook {
  id: string;
  dialect: string;
  status: SubscriptionStatus;
  statusReason: string | null;
  statusChangedAt: string;
  consecutiveFailures: number;
  url: string;
  httpVerb: 'POST' | 'PUT' | 'PATCH';
  eventTypes: string[];
  scope: { kind: 'tenant' } | { kind: 'projects'; projectIds: string[] } | { kind: 'project'; projectId: string };
  ownerOnly: boolean;
  fieldFilters: Record<string, string[]>;
  resourceFilters: Record<string, Record<string, string | number | boolean | null>>;
  payloadFormat: string;
  headers: { name: string; value: string | null }[];
  authorization: string | null;
  basicAuth: { user: string; password: string | null } | null;
  successContract: string;
  timeoutMs: number;
  rateLimitPerSec: number | null;
  retryPolicy: { scheduleMs: number[]; maxAttempts: number; maxAgeMs: number; onExhausted: 'dlq' | 'discard' };
  deliveryMode: 'independent' | 'ordered';
  failurePolicy: { autoDisableAfter: number | null };
  signingSecrets: { secret: string | null; expiresAt: string | null }[];
  createdAt: string;
  updatedAt: string;
  stats?: HookStats;
  signingSecret?: string;
}

export interface EventType {
  type: string;
  resourceType: string | null;
  action: string;
  description: string;
}

export interface DeliverySummary {
  id: string;
  eventId: string;
  subscriptionId: string;
  eventType: string;
  resourceName: string;
  resourceId: string;
  status: DeliveryStatus;
  origin: string;
  attemptCount: number;
  lastAttemptAt: string | null;
  lastHttpStatus: number | null;
  lastErrorClass: string | null;
  nextAttemptAt: string | null;
  occurredAt: string | null;
  createdAt: string;
}

export interface Attempt {
  attempt: number;
  status: DeliveryStatus;
  at: string;
  httpStatus: number | null;
  durationMs: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  responseExcerpt: string | null;
  nextAttemptAt: string | null;
}

export interface DeliveryRecord extends DeliverySummary {
  body: string | null;
  payload: unknown;
  attempts: Attempt[];
}

export interface Job {
  id: string;
  href: string;
  kind: 'replay' | 'redrive';
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  since: string | null;
  counts: { scanned: number; produced: number; skipped: number; total: number | null };
  progress: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface StatsPoint {
  at: string;
  delivered: number;
  retrying: number;
  failed: number;
  discarded: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface HookStatsResponse {
  window: { from: string; to: string; bucketMinutes: number };
  summary: HookStats;
  series: StatsPoint[];
}

export interface TestResult {
  ok: boolean;
  httpStatus: number | null;
  durationMs: number | null;
  bodyExcerpt: string | null;
  errorClass: string | null;
  errorMessage: string | null;
}

export interface Me {
  tenant: { id: string; name: string; slug: string; domain: string };
  user: { id: string; fullName: string };
  scopes: string[];
}

export const OPERATIONAL_TYPES = ['hook.disabled', 'hook.failing', 'hook.enabled'];
export const isOperationsHook = (h: Pick<Hook, 'eventTypes'>) => h.eventTypes.some((t) => OPERATIONAL_TYPES.includes(t));

export const hookPath = (id: string) => `/v1/webhooks/${encodeURIComponent(id)}`;
