import { randomBytes } from 'node:crypto';
import { SecretBox, parseSecretKeys, redact } from './secret-box';

const k = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;

describe('SecretBox', () => {
  it('round-trips and never leaves the plaintext in the ciphertext', () => {
    const box = SecretBox.fromSpec(k('a'));
    const enc = box.encrypt('whsec_supersecret');
    expect(JSON.stringify(enc)).not.toContain('supersecret');
    expect(box.decrypt(enc)).toBe('whsec_supersecret');
  });

  it('rejects a tampered ciphertext and a wrong AAD', () => {
    const box = SecretBox.fromSpec(k('a'));
    const enc = box.encrypt('x', 'sub-1');
    expect(() => box.decrypt(enc, 'sub-2')).toThrow();
    const ct = Buffer.from(enc.ct, 'base64');
    ct[0] ^= 1;
    expect(() => box.decrypt({ ...enc, ct: ct.toString('base64') }, 'sub-1')).toThrow();
  });

  it('decrypts with an older key after rotation and re-encrypts under the new one', () => {
    const oldSpec = k('old');
    const enc = SecretBox.fromSpec(oldSpec).encrypt('s');
    const rotated = SecretBox.fromSpec(`${k('new')},${oldSpec}`);
    expect(rotated.decrypt(enc)).toBe('s');
    const re = rotated.reencrypt(enc);
    expect(re.kid).toBe('new');
    expect(rotated.decrypt(re)).toBe('s');
  });

  it('names the bad key in its error', () => {
    expect(() => parseSecretKeys('bad:AAAA')).toThrow(/key "bad" must be 32 bytes/);
    expect(parseSecretKeys(randomBytes(32).toString('base64'))[0].kid).toBe('k1');
  });

  it('redacts', () => {
    expect(redact('Bearer abcdefghijkl')).toBe('Bear••••••••kl');
    expect(redact('short')).toBe('••••••••');
    expect(redact(null)).toBeNull();
  });
});
