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

  it('refuses a truncated or overlong tag and a short IV instead of verifying fewer bits', () => {
    const box = SecretBox.fromSpec(k('a'));
    const enc = box.encrypt('whsec_supersecret', 'sub-1');
    const tag = Buffer.from(enc.tag, 'base64');
    expect(tag).toHaveLength(16);
    // Node verifies a 4-byte prefix of the right tag when no tag length is fixed: 2^32 tries to forge.
    expect(() => box.decrypt({ ...enc, tag: tag.subarray(0, 4).toString('base64') }, 'sub-1')).toThrow(/4-byte tag refused/);
    expect(() => box.decrypt({ ...enc, tag: tag.subarray(0, 12).toString('base64') }, 'sub-1')).toThrow(/12-byte tag refused/);
    expect(() => box.decrypt({ ...enc, tag: Buffer.concat([tag, Buffer.from([0])]).toString('base64') }, 'sub-1')).toThrow(/17-byte tag/);
    expect(() => box.decrypt({ ...enc, iv: Buffer.alloc(8).toString('base64') }, 'sub-1')).toThrow(/8-byte IV refused/);
    expect(box.decrypt(enc, 'sub-1')).toBe('whsec_supersecret');
  });

  it('binds a sealed value to its AAD: another AAD, or the mark stripped, does not open it', () => {
    const box = SecretBox.fromSpec(k('a'));
    const bound = box.sealBound('Bearer token', 'tenant-a/sub-1');
    expect(bound.bound).toBe(true);
    expect(box.openBound(bound, 'tenant-a/sub-1')).toBe('Bearer token');
    expect(() => box.openBound(bound, 'tenant-a/sub-2')).toThrow();
    expect(() => box.openBound(bound, 'tenant-b/sub-1')).toThrow();
    const { bound: _mark, ...stripped } = bound;
    expect(() => box.openBound(stripped, 'tenant-a/sub-1')).toThrow();
    expect(box.isCurrent(bound)).toBe(true);
  });

  it('still opens a value sealed before binding (no mark, no AAD), which is not current', () => {
    const box = SecretBox.fromSpec(k('a'));
    const legacy = box.encrypt('old secret');
    expect(box.openBound(legacy, 'tenant-a/sub-1')).toBe('old secret');
    expect(box.isCurrent(legacy)).toBe(false);
  });

  it('redacts to at most the last 4 characters, and none of a short secret', () => {
    expect(redact('Bearer abcdefghijkl')).toBe('••••••••ijkl');
    expect(redact('whsec_AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH')).toBe('••••••••HHHH');
    for (const s of ['short', 'hunter2hunter2', '123456789012345']) expect(redact(s)).toBe('••••••••');
    for (let n = 0; n < 200; n++) {
      const secret = 'x'.repeat(n);
      expect(redact(secret)!.replace(/•/g, '').length).toBeLessThanOrEqual(4);
    }
    expect(redact(null)).toBeNull();
  });
});
