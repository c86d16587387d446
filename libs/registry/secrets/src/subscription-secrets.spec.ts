import { randomBytes, randomUUID } from 'node:crypto';
import { SecretBox } from '@herald/platform/crypto';
import { generateSigningSecret, isSigningSecret } from './signing-secret';
import { SubscriptionSecrets, mapSecretFields } from './subscription-secrets';

const spec = () => `k1:${randomBytes(32).toString('base64')}`;
const owner = (tenantId = 'tenant-a') => ({ tenantId, id: randomUUID() });

describe('signing secrets', () => {
  it('are whsec_ + base64 of 24 bytes, different every time', () => {
    const a = generateSigningSecret();
    const b = generateSigningSecret();
    expect(isSigningSecret(a)).toBe(true);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(24);
    expect(a).not.toBe(b);
  });
});

describe('SubscriptionSecrets', () => {
  it('seals without the plaintext in the stored value, and opens it again', () => {
    const secrets = SubscriptionSecrets.fromSpec(spec());
    const o = owner();
    const { plaintext, sealed } = secrets.newSigningSecret(o);
    expect(JSON.stringify(sealed)).not.toContain(plaintext.slice(6));
    expect(sealed.kid).toBe('k1');
    expect(sealed.bound).toBe(true);
    expect(secrets.open(o, sealed)).toBe(plaintext);
  });

  it("binds each value to its tenant and subscription: another subscription's row does not open it", () => {
    const secrets = SubscriptionSecrets.fromSpec(spec());
    const a = owner('tenant-a');
    const sealed = secrets.seal(a, 'Bearer token_of_hook_a');
    expect(() => secrets.open({ tenantId: 'tenant-a', id: randomUUID() }, sealed)).toThrow();
    expect(() => secrets.open({ tenantId: 'tenant-b', id: a.id }, sealed)).toThrow();
    expect(secrets.redacted({ tenantId: 'tenant-a', id: randomUUID() }, sealed)).toBe('••••••••');
  });

  it('opens a value sealed before binding, and re-seals it bound (and under the current key) on write', () => {
    const oldKey = spec();
    const legacy = SecretBox.fromSpec(oldKey).encrypt('Bearer legacy_token_value');
    const secrets = SubscriptionSecrets.fromSpec(`k2:${randomBytes(32).toString('base64')},${oldKey}`);
    const o = owner();
    expect(secrets.open(o, legacy)).toBe('Bearer legacy_token_value');
    const row = mapSecretFields(
      { headers: [{ name: 'x-a', value: legacy }], authorization: legacy, basicAuth: null, signingSecrets: [{ secret: legacy, expiresAt: null }] },
      (v) => secrets.reseal(o, v),
    );
    for (const v of [row.headers[0].value, row.authorization!, row.signingSecrets[0].secret]) {
      expect(v).toMatchObject({ kid: 'k2', bound: true });
      expect(secrets.open(o, v)).toBe('Bearer legacy_token_value');
      expect(() => secrets.open(owner(), v)).toThrow();
    }
    // Already current: the same value, not a new ciphertext on every write.
    expect(secrets.reseal(o, row.authorization!)).toBe(row.authorization);
  });

  it('moves a template hook value to its copy: it opens for the copy only', () => {
    const secrets = SubscriptionSecrets.fromSpec(spec());
    const template = owner();
    const copy = owner();
    const moved = secrets.moved(template, copy, secrets.seal(template, 'header value'));
    expect(secrets.open(copy, moved)).toBe('header value');
    expect(() => secrets.open(template, moved)).toThrow();
  });

  it('redacts to at most 4 recognisable characters', () => {
    const secrets = SubscriptionSecrets.fromSpec(spec());
    const o = owner();
    const shown = secrets.redacted(o, secrets.seal(o, 'Bearer abcdefghijklmnop'))!;
    expect(shown).toBe('••••••••mnop');
    expect(secrets.redacted(o, null)).toBeNull();
  });

  it('redacts a value sealed under a key it does not hold without throwing, and leaves it as it is on write', () => {
    const other = SubscriptionSecrets.fromSpec(spec());
    const mine = SubscriptionSecrets.fromSpec(`k2:${randomBytes(32).toString('base64')}`);
    const o = owner();
    const foreign = other.seal(o, 'hunter2hunter2');
    expect(mine.redacted(o, foreign)).toBe('••••••••');
    expect(mine.reseal(o, foreign)).toBe(foreign);
  });
});
