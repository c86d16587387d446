import type { SubscriptionSnapshot } from '@herald/contracts';
import type { SubscriptionEntity } from '../persistence/subscription.entity';

/**
 * The snapshot published on `herald.subscriptions.v1`: everything the router and dispatcher
 * need, secret fields still sealed (only the dispatcher opens them).
 */
export function toSnapshot(s: SubscriptionEntity): SubscriptionSnapshot {
  return {
    id: s.id,
    tenantId: s.tenantId,
    ownerUserId: s.ownerUserId,
    dialect: s.dialect,
    status: s.status,
    url: s.url,
    httpVerb: s.httpVerb,
    eventTypes: [...s.eventTypes],
    scope: s.scope,
    ownerOnly: s.ownerOnly,
    fieldFilters: s.fieldFilters,
    resourceFilters: s.resourceFilters,
    payloadFormat: s.payloadFormat,
    templateId: s.templateId,
    formatOptions: s.formatOptions,
    headers: s.headers.map((h) => ({ name: h.name, value: h.value })),
    authorization: s.authorization,
    basicAuth: s.basicAuth,
    successContract: s.successContract,
    timeoutMs: s.timeoutMs,
    rateLimitPerSec: s.rateLimitPerSec,
    retryPolicy: s.retryPolicy,
    deliveryMode: s.deliveryMode,
    failurePolicy: s.failurePolicy,
    signingSecrets: s.signingSecrets.map((x) => ({ secret: x.secret, expiresAt: x.expiresAt })),
    version: s.version,
    updatedAt: s.updatedAt.toISOString(),
  };
}
