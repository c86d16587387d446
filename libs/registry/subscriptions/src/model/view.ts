import type { EncryptedValue, SubscriptionStatus } from '@herald/contracts';
import type { SubscriptionSecrets } from '@herald/registry/secrets';
import type { SubscriptionEntity } from '../persistence/subscription.entity';
import { plainSettingsOf, type PlainSettings } from './plain-settings';

/**
 * A subscription as the registry's APIs show it: every setting, the health fields, and secrets
 * redacted. Dialects map this to their own shapes.
 */
export interface SubscriptionView extends PlainSettings {
  id: string;
  externalId: number;
  tenantId: string;
  ownerUserId: string;
  dialect: string;
  status: SubscriptionStatus;
  statusReason: string | null;
  statusChangedAt: string;
  consecutiveFailures: number;
  headers: { name: string; value: string | null }[];
  authorization: string | null;
  basicAuth: { user: string; password: string | null } | null;
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
    ...plainSettingsOf(s),
    headers: s.headers.map((h) => ({ name: h.name, value: shown(h.value) })),
    authorization: shown(s.authorization),
    basicAuth: s.basicAuth ? { user: s.basicAuth.user, password: secrets.redacted(s, s.basicAuth.password) } : null,
    signingSecrets: s.signingSecrets
      .filter((x) => x.expiresAt === null || Date.parse(x.expiresAt) > now.getTime())
      .map((x) => ({ secret: secrets.redacted(s, x.secret), expiresAt: x.expiresAt })),
    version: s.version,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}
