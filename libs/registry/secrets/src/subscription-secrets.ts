import { subscriptionSecretAad, type EncryptedValue } from '@herald/contracts';
import { SecretBox, redact } from '@herald/platform/crypto';
import { generateSigningSecret } from './signing-secret';

/** Whose secret a value is: a subscription of a tenant (the AAD every value is bound to). */
export interface SecretOwner {
  tenantId: string;
  id: string;
}

/**
 * The registry's secrets at rest: signing secrets, basic-auth passwords, header values and
 * Authorization values are stored (and published in snapshots) only as AES-256-GCM values under
 * `HERALD_SECRETS_KEY`; the key id travels with each value, so keys can be rotated.
 *
 * Every value is bound to its tenant and subscription (`subscriptionSecretAad`, the AAD the
 * dispatcher opens snapshot fields with): a ciphertext copied into another subscription's row,
 * of this tenant or another, does not decrypt. A template copy is re-sealed for the copy.
 * Values sealed before binding still open, and `resealed` re-seals them (and any value under an
 * older key) when their row is written.
 */
export class SubscriptionSecrets {
  constructor(private readonly box: SecretBox) {}

  static fromSpec(spec: string): SubscriptionSecrets {
    return new SubscriptionSecrets(SecretBox.fromSpec(spec));
  }

  seal(owner: SecretOwner, plaintext: string): EncryptedValue {
    return this.box.sealBound(plaintext, subscriptionSecretAad(owner.tenantId, owner.id));
  }

  open(owner: SecretOwner, value: EncryptedValue): string {
    return this.box.openBound(value, subscriptionSecretAad(owner.tenantId, owner.id));
  }

  /** A new signing secret: the plaintext is for the caller to show once, the sealed value is stored. */
  newSigningSecret(owner: SecretOwner): { plaintext: string; sealed: EncryptedValue } {
    const plaintext = generateSigningSecret();
    return { plaintext, sealed: this.seal(owner, plaintext) };
  }

  /** What a read shows: at most 4 characters of the secret, never enough to use it. */
  redacted(owner: SecretOwner, value: EncryptedValue | null | undefined): string | null {
    if (!value) return null;
    try {
      return redact(this.open(owner, value));
    } catch {
      // Under a key this process no longer holds (or not this row's): still a secret, just not recognisable.
      return '••••••••';
    }
  }

  /**
   * The value sealed as it would be now (bound to `owner`, current key); as it is when it already
   * is, or when this process cannot open it (a key it no longer holds: re-sealing must not fail
   * the write it rides on, and the value stays as unreadable as it was).
   */
  reseal(owner: SecretOwner, value: EncryptedValue): EncryptedValue {
    if (this.box.isCurrent(value)) return value;
    const plaintext = this.tryOpen(owner, value);
    return plaintext === null ? value : this.seal(owner, plaintext);
  }

  /** A value of `from` sealed again for `to` (a template hook's secrets in its copy); as it is when unreadable. */
  moved(from: SecretOwner, to: SecretOwner, value: EncryptedValue): EncryptedValue {
    const plaintext = this.tryOpen(from, value);
    return plaintext === null ? value : this.seal(to, plaintext);
  }

  private tryOpen(owner: SecretOwner, value: EncryptedValue): string | null {
    try {
      return this.open(owner, value);
    } catch {
      return null;
    }
  }
}

/** The secret columns of a subscription row. */
export interface SecretFields {
  headers: { name: string; value: EncryptedValue }[];
  authorization: EncryptedValue | null;
  basicAuth: { user: string; password: EncryptedValue } | null;
  signingSecrets: { secret: EncryptedValue; expiresAt: string | null }[];
}

/** Every secret of a row passed through `f` (reseal, move): the row's other fields untouched. */
export function mapSecretFields<T extends SecretFields>(row: T, f: (v: EncryptedValue) => EncryptedValue): T {
  return Object.assign(row, {
    headers: row.headers.map((h) => ({ name: h.name, value: f(h.value) })),
    authorization: row.authorization && f(row.authorization),
    basicAuth: row.basicAuth && { user: row.basicAuth.user, password: f(row.basicAuth.password) },
    signingSecrets: row.signingSecrets.map((x) => ({ secret: f(x.secret), expiresAt: x.expiresAt })),
  });
}
