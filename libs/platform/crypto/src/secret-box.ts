import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptedValue } from '@herald/contracts';

export interface SecretKey {
  kid: string;
  key: Buffer;
}

/**
 * Parses `HERALD_SECRETS_KEY`: `kid:base64key[,kid:base64key…]` (the first one encrypts, all
 * decrypt — that is how a key is rotated), or a bare base64 key (kid `k1`).
 */
export function parseSecretKeys(spec: string): SecretKey[] {
  const keys = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const i = entry.indexOf(':');
      const [kid, b64] = i > 0 ? [entry.slice(0, i), entry.slice(i + 1)] : ['k1', entry];
      const key = Buffer.from(b64, 'base64');
      if (key.length !== 32) throw new Error(`HERALD_SECRETS_KEY: key "${kid}" must be 32 bytes, base64 (got ${key.length})`);
      return { kid, key };
    });
  if (keys.length === 0) throw new Error('HERALD_SECRETS_KEY: no key given');
  return keys;
}

/** AES-256-GCM for secrets at rest (registry) and in snapshots (dispatcher). */
export class SecretBox {
  private readonly byKid: Map<string, Buffer>;
  private readonly current: SecretKey;

  constructor(keys: SecretKey[]) {
    this.current = keys[0];
    this.byKid = new Map(keys.map((k) => [k.kid, k.key]));
  }

  static fromSpec(spec: string): SecretBox {
    return new SecretBox(parseSecretKeys(spec));
  }

  get currentKid(): string {
    return this.current.kid;
  }

  encrypt(plaintext: string, aad?: string): EncryptedValue {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    if (aad) cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { kid: this.current.kid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
  }

  decrypt(value: EncryptedValue, aad?: string): string {
    const key = this.byKid.get(value.kid);
    if (!key) throw new Error(`secret encrypted under unknown key id "${value.kid}"`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(value.iv, 'base64'));
    if (aad) decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(value.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(value.ct, 'base64')), decipher.final()]).toString('utf8');
  }

  /** Re-encrypt under the current key (key rotation). */
  reencrypt(value: EncryptedValue, aad?: string): EncryptedValue {
    return value.kid === this.current.kid ? value : this.encrypt(this.decrypt(value, aad), aad);
  }
}

/** What an API shows instead of a secret: enough to recognise it, never enough to use it. */
export function redact(secret: string | null | undefined): string | null {
  if (secret == null) return null;
  if (secret.length <= 8) return '••••••••';
  return `${secret.slice(0, 4)}••••••••${secret.slice(-2)}`;
}
