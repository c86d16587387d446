import { randomBytes } from 'node:crypto';
import { hashApiKey, parseApiKey } from '@herald/contracts';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function alphanumeric(length: number): string {
  // 248 = 62 * 4: rejecting bytes above it keeps every character equally likely.
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHANUMERIC[b % 62];
    }
  }
  return out;
}

export interface GeneratedApiKey {
  /** Shown once, never stored. */
  apiKey: string;
  keyId: string;
  hash: string;
}

/** `hk_<keyId>_<secret>`: 16 alphanumerics of key id, 256 bits of secret. */
export function generateApiKey(): GeneratedApiKey {
  const keyId = alphanumeric(16);
  const apiKey = `hk_${keyId}_${randomBytes(32).toString('base64url')}`;
  if (parseApiKey(apiKey)?.keyId !== keyId) throw new Error('generated an API key that does not parse');
  return { apiKey, keyId, hash: hashApiKey(apiKey) };
}
