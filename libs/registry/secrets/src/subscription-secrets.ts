import type { EncryptedValue } from '@herald/contracts';
import { SecretBox, redact } from '@herald/platform/crypto';
import { generateSigningSecret } from './signing-secret';

/**
 * The registry's secrets at rest: signing secrets, basic-auth passwords, header values and
 * Authorization values are stored (and published in snapshots) only as AES-256-GCM values under
 * `HERALD_SECRETS_KEY`; the key id travels with each value, so keys can be rotated.
 *
 * No AAD is bound: the dispatcher decrypts snapshot fields with the same `SecretBox` and nothing
 * else, so the ciphertexts stay portable between a subscription and its template copies.
 */
export class SubscriptionSecrets {
  constructor(private readonly box: SecretBox) {}

  static fromSpec(spec: string): SubscriptionSecrets {
    return new SubscriptionSecrets(SecretBox.fromSpec(spec));
  }

  seal(plaintext: string): EncryptedValue {
    return this.box.encrypt(plaintext);
  }

  open(value: EncryptedValue): string {
    return this.box.decrypt(value);
  }

  /** A new signing secret: the plaintext is for the caller to show once, the sealed value is stored. */
  newSigningSecret(): { plaintext: string; sealed: EncryptedValue } {
    const plaintext = generateSigningSecret();
    return { plaintext, sealed: this.seal(plaintext) };
  }

  /** What a read shows: enough to recognise the secret, never enough to use it. */
  redacted(value: EncryptedValue | null | undefined): string | null {
    if (!value) return null;
    try {
      return redact(this.open(value));
    } catch {
      // Under a key this process no longer holds: still a secret, just not recognisable.
      return '••••••••';
    }
  }

  /** Re-encrypts under the current key (after `HERALD_SECRETS_KEY` gained a new first key). */
  reseal(value: EncryptedValue): EncryptedValue {
    return this.box.reencrypt(value);
  }
}
