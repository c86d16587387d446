import type { DataSource } from 'typeorm';
import { generateApiKey } from './api-key-secret';
import type { ApiKeyEntity, TenantEntity, UserEntity } from './entities';
import type { KeyLookup } from './tenancy.repository';
import { AuthenticateApiKey, type AuthenticateApiKeyOptions } from './use-cases/authenticate-api-key';

/** AuthenticateApiKey over an in-memory key table that counts its reads. */
function setup(options: AuthenticateApiKeyOptions = {}) {
  const secret = generateApiKey();
  const row = (): KeyLookup => ({
    key: { keyId: secret.keyId, hash: secret.hash, scopes: ['read', 'write'], revokedAt: null } as unknown as ApiKeyEntity,
    user: { id: 'u1', fullName: 'Anna Doe', email: 'anna@acme.test', active: true } as UserEntity,
    tenant: { id: 't1', slug: 'acme', domain: 'acme.example.test' } as TenantEntity,
  });
  const db = { rows: new Map([[secret.keyId, row()]]), reads: 0, gate: undefined as Promise<void> | undefined };
  let clock = 1_000;
  class InMemory extends AuthenticateApiKey {
    protected override async lookup(keyId: string): Promise<KeyLookup | null> {
      db.reads++;
      // What the database has when the read starts, answered once the gate (if any) opens.
      const found = db.rows.get(keyId);
      const copy = found && { key: { ...found.key }, user: { ...found.user }, tenant: { ...found.tenant } };
      await db.gate;
      return (copy as KeyLookup | undefined) ?? null;
    }
  }
  const auth = new InMemory({} as DataSource, { now: () => clock, ...options });
  return {
    auth,
    db,
    apiKey: secret.apiKey,
    keyId: secret.keyId,
    revoke: () => Object.assign(db.rows.get(secret.keyId)!.key, { revokedAt: new Date() }),
    advance: (ms: number) => (clock += ms),
  };
}

describe('AuthenticateApiKey', () => {
  it('reads the key for every request when nothing is kept (cacheMs 0, the default)', async () => {
    const { auth, db, apiKey, revoke } = setup();
    await auth.execute({ apiKey });
    await auth.execute({ apiKey });
    expect(db.reads).toBe(2);
    revoke();
    await expect(auth.execute({ apiKey })).rejects.toThrow('the API key has been revoked');
  });

  it('answers the next requests from the row it read, for cacheMs, and checks the secret, the domain and the row each time', async () => {
    const { auth, db, apiKey, advance } = setup({ cacheMs: 5_000 });
    expect(await auth.execute({ apiKey })).toMatchObject({ tenantId: 't1', userId: 'u1', scopes: ['read', 'write'] });
    await auth.execute({ apiKey, domain: 'ACME.example.test' });
    expect(db.reads).toBe(1);
    await expect(auth.execute({ apiKey: `${apiKey}x` })).rejects.toThrow('the API key is not valid');
    await expect(auth.execute({ apiKey, domain: 'other.example.test' })).rejects.toThrow('the domain header does not match the API key');
    expect(db.reads).toBe(1);
    advance(4_999);
    await auth.execute({ apiKey });
    expect(db.reads).toBe(1);
    advance(1);
    await auth.execute({ apiKey });
    expect(db.reads).toBe(2);
  });

  it('sees a revocation made elsewhere within cacheMs, and one made through this process (forgetKeys) at once', async () => {
    const { auth, apiKey, revoke, advance } = setup({ cacheMs: 5_000 });
    await auth.execute({ apiKey });
    revoke(); // another replica: this one still has the row it read
    await auth.execute({ apiKey });
    advance(5_000);
    await expect(auth.execute({ apiKey })).rejects.toThrow('the API key has been revoked');

    const here = setup({ cacheMs: 5_000 });
    await here.auth.execute({ apiKey: here.apiKey });
    here.revoke();
    here.auth.forgetKeys(); // what a revocation through this process does once it committed
    await expect(here.auth.execute({ apiKey: here.apiKey })).rejects.toThrow('the API key has been revoked');
  });

  it('does not keep a row read before forgetKeys(): it may predate the change', async () => {
    const { auth, db, apiKey, revoke } = setup({ cacheMs: 5_000 });
    let open!: () => void;
    db.gate = new Promise((r) => (open = r));
    const inFlight = auth.execute({ apiKey }); // reads the key before the revocation commits…
    revoke();
    auth.forgetKeys(); // …which is forgotten while that read is still out
    open();
    await inFlight; // this request was let in, as it was without a cache
    db.gate = undefined;
    await expect(auth.execute({ apiKey })).rejects.toThrow('the API key has been revoked');
    expect(db.reads).toBe(2);
  });

  it('keeps no unknown key ids, and at most maxCached rows', async () => {
    const { auth, db, apiKey, keyId } = setup({ cacheMs: 5_000, maxCached: 1 });
    const unknown = apiKey.replace(keyId, 'Zzzzzzzzzzzzzzzz');
    await expect(auth.execute({ apiKey: unknown })).rejects.toThrow('the API key is not valid');
    await expect(auth.execute({ apiKey: unknown })).rejects.toThrow('the API key is not valid');
    expect(db.reads).toBe(2);
    const other = generateApiKey();
    db.rows.set(other.keyId, { ...db.rows.get(keyId)!, key: { ...db.rows.get(keyId)!.key, keyId: other.keyId, hash: other.hash } as ApiKeyEntity });
    await auth.execute({ apiKey });
    await auth.execute({ apiKey: other.apiKey }); // pushes the first out
    await auth.execute({ apiKey });
    expect(db.reads).toBe(5);
  });
});
