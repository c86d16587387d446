import { randomBytes } from 'node:crypto';

const SIGNING_SECRET = /^whsec_[A-Za-z0-9+/]{32}$/;

/**
 * A Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes (192 bits). The
 * receiver base64-decodes the part after the prefix to get the HMAC key.
 */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function isSigningSecret(value: string): boolean {
  return SIGNING_SECRET.test(value);
}
