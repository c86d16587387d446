import type { SubscriptionSnapshot } from '@herald/contracts';
import type { SubscriptionEntity } from '../persistence/subscription.entity';
import { plainSettingsOf } from './plain-settings';

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
    ...plainSettingsOf(s),
    headers: s.headers.map((h) => ({ name: h.name, value: h.value })),
    authorization: s.authorization,
    basicAuth: s.basicAuth,
    signingSecrets: s.signingSecrets.map((x) => ({ secret: x.secret, expiresAt: x.expiresAt })),
    version: s.version,
    updatedAt: s.updatedAt.toISOString(),
  };
}
