import { liveSigningSecrets, rotateSigningSecrets } from './signing-secret-rotation';

const enc = (ct: string) => ({ kid: 'k1', iv: 'iv', tag: 'tag', ct });
const now = new Date('2026-01-01T00:00:00.000Z');
const HOUR = 3_600_000;

describe('rotateSigningSecrets', () => {
  it('puts the new secret first and keeps the previous one for 24 h', () => {
    const next = rotateSigningSecrets([{ secret: enc('old'), expiresAt: null }], enc('new'), now);
    expect(next).toEqual([
      { secret: enc('new'), expiresAt: null },
      { secret: enc('old'), expiresAt: '2026-01-02T00:00:00.000Z' },
    ]);
  });

  it('drops secrets whose grace ended and never extends one that ends sooner', () => {
    const next = rotateSigningSecrets(
      [
        { secret: enc('b'), expiresAt: null },
        { secret: enc('a'), expiresAt: new Date(now.getTime() + HOUR).toISOString() },
        { secret: enc('gone'), expiresAt: new Date(now.getTime() - 1).toISOString() },
      ],
      enc('c'),
      now,
    );
    expect(next.map((s) => s.secret.ct)).toEqual(['c', 'b', 'a']);
    expect(next[2].expiresAt).toBe(new Date(now.getTime() + HOUR).toISOString());
  });

  it('live secrets exclude expired ones', () => {
    expect(liveSigningSecrets([{ secret: enc('x'), expiresAt: now.toISOString() }], now)).toEqual([]);
  });
});
