import type { EncryptedValue } from '@herald/contracts';
import type { SealedSigningSecret } from '../persistence/subscription.entity';

/** How long a replaced signing secret keeps signing beside the new one. */
export const SIGNING_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * The secrets after a rotation: the new one first (no expiry), then every previous one still
 * valid, each expiring at most `graceMs` from now. Expired ones are dropped.
 */
export function rotateSigningSecrets(
  current: readonly SealedSigningSecret[],
  next: EncryptedValue,
  now: Date,
  graceMs = SIGNING_SECRET_GRACE_MS,
): SealedSigningSecret[] {
  const cap = now.getTime() + graceMs;
  const previous = liveSigningSecrets(current, now).map((s) => ({
    secret: s.secret,
    expiresAt: new Date(s.expiresAt === null ? cap : Math.min(Date.parse(s.expiresAt), cap)).toISOString(),
  }));
  return [{ secret: next, expiresAt: null }, ...previous];
}

/** The secrets that still sign at `now`. */
export function liveSigningSecrets(secrets: readonly SealedSigningSecret[], now: Date): SealedSigningSecret[] {
  return secrets.filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now.getTime());
}
