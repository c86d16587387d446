import { randomBytes } from 'node:crypto';
import { generateSigningSecret, isSigningSecret } from './signing-secret';
import { SubscriptionSecrets } from './subscription-secrets';

const spec = () => `k1:${randomBytes(32).toString('base64')}`;

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
    const { plaintext, sealed } = secrets.newSigningSecret();
    expect(JSON.stringify(sealed)).not.toContain(plaintext.slice(6));
    expect(sealed.kid).toBe('k1');
    expect(secrets.open(sealed)).toBe(plaintext);
  });

  it('redacts to a recognisable but unusable form', () => {
    const secrets = SubscriptionSecrets.fromSpec(spec());
    const shown = secrets.redacted(secrets.seal('Bearer abcdefghijklmnop'))!;
    expect(shown.startsWith('Bear')).toBe(true);
    expect(shown).not.toContain('abcdefghijklmnop');
    expect(secrets.redacted(null)).toBeNull();
  });

  it('redacts a value sealed under a key it does not hold without throwing', () => {
    const other = SubscriptionSecrets.fromSpec(spec());
    const mine = SubscriptionSecrets.fromSpec(`k2:${randomBytes(32).toString('base64')}`);
    expect(mine.redacted(other.seal('hunter2hunter2'))).toBe('••••••••');
  });
});
