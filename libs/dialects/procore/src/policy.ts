import type { DialectPolicy, PayloadFormat } from '@herald/contracts';

/** Payload versions (`api_version` in v1.0, `payload_version` in v2.0), fixed when a hook is created. */
export const PAYLOAD_VERSIONS = ['v2.0', 'v3.0', 'v4.0'] as const;
export type PayloadVersion = (typeof PAYLOAD_VERSIONS)[number];

/** "v2", "v2.0", "2.0" → "v2.0"; undefined for anything else. */
export function normalizePayloadVersion(value: string): PayloadVersion | undefined {
  const m = /^v?([234])(?:\.0)?$/i.exec(value.trim());
  return m ? (`v${m[1]}.0` as PayloadVersion) : undefined;
}

export function payloadFormatOf(version: PayloadVersion): PayloadFormat {
  return `procore-${version}` as PayloadFormat;
}

export function payloadVersionOf(format: string): PayloadVersion | undefined {
  const m = /^procore-(v[234]\.0)$/.exec(format);
  return m ? (m[1] as PayloadVersion) : undefined;
}

const SECOND = 1_000;
const HOUR = 3_600 * SECOND;

/** Procore's schedule: 1 s, doubling, capped at 1 h (the last entry repeats). */
export function procoreBackoff(fromMs = SECOND, capMs = HOUR): number[] {
  const out: number[] = [];
  for (let d = fromMs; d < capMs; d *= 2) out.push(d);
  out.push(capMs);
  return out;
}

/**
 * The core settings Procore's receiver contract needs (a plain SubscriptionPatch):
 * 200 or 204 within 5 s (any other answer is a failure); deliveries to a hook are ordered, so a failure
 * pauses the hook's later events while the head retries with exponential backoff from 1 s capped
 * at 1 h; after 12 h of failure the head and what queued behind it are Discarded; a success
 * resets the cycle. Procore never disables or deletes a hook for failing.
 */
export const PROCORE_DEFAULT_POLICY: DialectPolicy = {
  httpVerb: 'POST',
  successContract: '200-or-204',
  timeoutMs: 5 * SECOND,
  deliveryMode: 'ordered',
  retryPolicy: { scheduleMs: procoreBackoff(), maxAttempts: 100, maxAgeMs: 12 * HOUR, onExhausted: 'discard' },
  failurePolicy: { unsubscribeOn: [], unsubscribeAction: 'disable', autoDisableAfter: null, deleteAtThreshold: false },
};

/** What a Procore hook keeps in the subscription's `formatOptions` (non-secret). */
export interface ProcoreFormatOptions {
  namespace: string;
  /** The hook's triggers; the subscription's event types are derived from them. */
  triggers: { resource_type: string; event_type: 'create' | 'update' | 'delete' }[];
  /** `*****` + the last 5 characters of destination_headers.Authorization, as Procore shows it. */
  authorizationHint: string | null;
}

export function maskAuthorization(value: string): string {
  return `*****${value.slice(-5)}`;
}

export function procoreOptionsOf(formatOptions: Record<string, unknown>): ProcoreFormatOptions {
  const o = formatOptions as Partial<ProcoreFormatOptions>;
  return {
    namespace: typeof o.namespace === 'string' ? o.namespace : 'procore',
    triggers: Array.isArray(o.triggers) ? o.triggers : [],
    authorizationHint: typeof o.authorizationHint === 'string' ? o.authorizationHint : null,
  };
}
