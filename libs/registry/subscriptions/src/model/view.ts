import type { EncryptedValue, FailurePolicy, PayloadFormat, RetryPolicy, Scope, SubscriptionStatus } from '@herald/contracts';
import type { SubscriptionSecrets } from '@herald/registry/secrets';
import type { SubscriptionEntity } from '../persistence/subscription.entity';

/**
 * A subscription as the registry's APIs show it: every setting, the health fields, and secrets
 * redacted. Dialects map this to their own shapes.
 */
export interface SubscriptionView {
  id: string;
  externalId: number;
  tenantId: string;
  ownerUserId: string;
  dialect: string;
  status: SubscriptionStatus;
  statusReason: string | null;
  statusChangedAt: string;
  consecutiveFailures: number;
  url: string;
  httpVerb: 'POST' | 'PUT' | 'PATCH';
  eventTypes: string[];
  scope: Scope;
  ownerOnly: boolean;
  fieldFilters: Record<string, string[]>;
  resourceFilters: Record<string, Record<string, string | number | boolean | null>>;
  payloadFormat: PayloadFormat;
  formatOptions: Record<string, unknown>;
  templateId: string | null;
  headers: { name: string; value: string | null }[];
  authorization: string | null;
  basicAuth: { user: string; password: string | null } | null;
  successContract: '2xx' | 'status-ok' | '200' | '200-or-204';
  timeoutMs: number;
  rateLimitPerSec: number | null;
  retryPolicy: RetryPolicy;
  deliveryMode: 'independent' | 'ordered';
  failurePolicy: FailurePolicy;
  /** Redacted; the current one first. The clear value is shown once, by create and rotate. */
  signingSecrets: { secret: string | null; expiresAt: string | null }[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ViewOptions {
  /**
   * Show custom header values and the Authorization value as given instead of redacted: for a
   * dialect whose API returns them (PPM Express shows its webhooks' headers). Signing secrets
   * and basic-auth passwords stay redacted.
   */
  revealHeaders?: boolean;
}

export function toView(s: SubscriptionEntity, secrets: SubscriptionSecrets, now = new Date(), options: ViewOptions = {}): SubscriptionView {
  const shown = (v: EncryptedValue | null): string | null => (options.revealHeaders && v ? secrets.open(s, v) : secrets.redacted(s, v));
  return {
    id: s.id,
    externalId: s.externalId,
    tenantId: s.tenantId,
    ownerUserId: s.ownerUserId,
    dialect: s.dialect,
    status: s.status,
    statusReason: s.statusReason,
    statusChangedAt: s.statusChangedAt.toISOString(),
    consecutiveFailures: s.consecutiveFailures,
    url: s.url,
    httpVerb: s.httpVerb,
    eventTypes: [...s.eventTypes],
    scope: s.scope,
    ownerOnly: s.ownerOnly,
    fieldFilters: s.fieldFilters,
    resourceFilters: s.resourceFilters,
    payloadFormat: s.payloadFormat,
    formatOptions: s.formatOptions,
    templateId: s.templateId,
    headers: s.headers.map((h) => ({ name: h.name, value: shown(h.value) })),
    authorization: shown(s.authorization),
    basicAuth: s.basicAuth ? { user: s.basicAuth.user, password: secrets.redacted(s, s.basicAuth.password) } : null,
    successContract: s.successContract,
    timeoutMs: s.timeoutMs,
    rateLimitPerSec: s.rateLimitPerSec,
    retryPolicy: s.retryPolicy,
    deliveryMode: s.deliveryMode,
    failurePolicy: s.failurePolicy,
    signingSecrets: s.signingSecrets
      .filter((x) => x.expiresAt === null || Date.parse(x.expiresAt) > now.getTime())
      .map((x) => ({ secret: secrets.redacted(s, x.secret), expiresAt: x.expiresAt })),
    version: s.version,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}
