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

/** GCM's nonce and tag: 96-bit IV (NIST SP 800-38D), and always the full 128-bit tag. */
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for secrets at rest (registry) and in snapshots (dispatcher).
 *
 * The tag is always 16 bytes: a value whose tag (or IV) has another length is refused before
 * decryption, since Node would otherwise verify a truncated tag (a 4-byte tag is 2^32 guesses
 * from a forgery). `aad`, when given, authenticates where the value belongs (e.g. its tenant and
 * subscription): the same ciphertext under another AAD does not decrypt.
 */
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
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    if (aad) cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { kid: this.current.kid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
  }

  decrypt(value: EncryptedValue, aad?: string): string {
    const key = this.byKid.get(value.kid);
    if (!key) throw new Error(`secret encrypted under unknown key id "${value.kid}"`);
    const iv = Buffer.from(value.iv, 'base64');
    const tag = Buffer.from(value.tag, 'base64');
    if (iv.length !== IV_BYTES) throw new Error(`secret with a ${iv.length}-byte IV refused (AES-GCM values here have ${IV_BYTES})`);
    if (tag.length !== TAG_BYTES) throw new Error(`secret with a ${tag.length}-byte tag refused (AES-GCM values here have ${TAG_BYTES})`);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    if (aad) decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(value.ct, 'base64')), decipher.final()]).toString('utf8');
  }

  /** Re-encrypt under the current key (key rotation). */
  reencrypt(value: EncryptedValue, aad?: string): EncryptedValue {
    return value.kid === this.current.kid ? value : this.encrypt(this.decrypt(value, aad), aad);
  }

  /**
   * Seals a value bound to `aad` and marked so (`bound: true`): the mark tells `openBound` to
   * authenticate the AAD, and stripping it does not help, since the tag covers the AAD.
   */
  sealBound(plaintext: string, aad: string): EncryptedValue {
    return { ...this.encrypt(plaintext, aad), bound: true };
  }

  /** Opens a value of `sealBound` with its AAD; a value sealed before binding (no mark) opens without. */
  openBound(value: EncryptedValue, aad: string): string {
    return value.bound ? this.decrypt(value, aad) : this.decrypt(value);
  }

  /** Whether a value is as `sealBound` would seal it now: bound and under the current key. */
  isCurrent(value: EncryptedValue): boolean {
    return value.bound === true && value.kid === this.current.kid;
  }
}

/** Secrets this long or longer show their last 4 characters; shorter ones show none. */
const REDACT_SHOWS_TAIL_FROM = 16;

/**
 * What an API shows instead of a secret: at most its last 4 characters (only when it has at least
 * 16, so no more than a quarter of it), never enough to use or guess it.
 */
export function redact(secret: string | null | undefined): string | null {
  if (secret == null) return null;
  if (secret.length < REDACT_SHOWS_TAIL_FROM) return '••••••••';
  return `••••••••${secret.slice(-4)}`;
}
