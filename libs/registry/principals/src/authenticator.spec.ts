import { randomBytes } from 'node:crypto';
import { hashApiKey, type PrincipalSnapshot } from '@herald/contracts';
import { thrownBy } from '@herald/platform/testing';
import { AuthenticationError, Authenticator, MissingScopeError } from './authenticator';
import { PrincipalDirectory } from './principal-directory';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const newKey = (keyId: string) => `hk_${keyId}_${randomBytes(32).toString('base64url')}`;

function setup() {
  const directory = new PrincipalDirectory();
  const tenant: PrincipalSnapshot = { kind: 'tenant', tenantId: 't1', slug: 'acme', domain: 'Acme.ProjectBubble.com', name: 'Acme', updatedAt: at(0) };
  const user: PrincipalSnapshot = { kind: 'user', tenantId: 't1', userId: 'u1', fullName: 'Ann', email: 'ann@acme', active: true, updatedAt: at(0) };
  const apiKey = newKey('AbCdEfGh12345678');
  const key: PrincipalSnapshot = {
    kind: 'api-key',
    tenantId: 't1',
    keyId: 'AbCdEfGh12345678',
    userId: 'u1',
    hash: hashApiKey(apiKey),
    scopes: ['webhooks'],
    revokedAt: null,
    updatedAt: at(0),
  };
  for (const p of [tenant, user, key]) directory.update(p, undefined);
  return { directory, auth: new Authenticator(directory), apiKey, tenant, user, key };
}

const reason = (fn: () => unknown) => thrownBy(fn, AuthenticationError).message;

describe('Authenticator', () => {
  it('resolves a bearer key to its tenant, user and scopes', () => {
    const { auth, apiKey } = setup();
    expect(auth.authenticateBearer(`Bearer ${apiKey}`)).toMatchObject({ tenantId: 't1', tenantSlug: 'acme', userId: 'u1', scopes: ['webhooks'] });
  });

  it('refuses a missing header, another scheme, a malformed key and a wrong secret', () => {
    const { auth, apiKey } = setup();
    expect(reason(() => auth.authenticateBearer(undefined))).toContain('missing');
    expect(reason(() => auth.authenticateBearer(`Basic ${apiKey}`))).toContain('Bearer');
    expect(reason(() => auth.authenticateBearer('Bearer nope'))).toContain('malformed');
    expect(reason(() => auth.authenticateBearer(`Bearer ${newKey('AbCdEfGh12345678')}`))).toBe('the API key is not valid');
    expect(reason(() => auth.authenticateBearer(`Bearer ${newKey('Unknown000000000')}`))).toBe('the API key is not valid');
  });

  it('refuses revoked keys and deactivated users, and follows later snapshots', () => {
    const { directory, auth, apiKey, key, user } = setup();
    const revoked = { ...key, revokedAt: at(5), updatedAt: at(5) } as PrincipalSnapshot;
    directory.update(revoked, key);
    expect(reason(() => auth.authenticateApiKey(apiKey))).toContain('revoked');
    directory.update(key, revoked);
    const inactive = { ...user, active: false } as PrincipalSnapshot;
    directory.update(inactive, user);
    expect(reason(() => auth.authenticateApiKey(apiKey))).toContain('deactivated');
    directory.update(null, inactive);
    expect(reason(() => auth.authenticateApiKey(apiKey))).toContain('deactivated');
  });

  it('accepts ProProfs key + domain (domain in any case, or the slug) and refuses another tenant domain', () => {
    const { directory, auth, apiKey } = setup();
    directory.update({ kind: 'tenant', tenantId: 't2', slug: 'other', domain: 'other.projectbubble.com', name: 'O', updatedAt: at(0) }, undefined);
    expect(auth.authenticateKeyAndDomain(apiKey, 'acme.projectbubble.com').tenantId).toBe('t1');
    expect(auth.authenticateKeyAndDomain(apiKey, ' ACME ').tenantId).toBe('t1');
    expect(reason(() => auth.authenticateKeyAndDomain(apiKey, 'other.projectbubble.com'))).toContain('domain');
    expect(reason(() => auth.authenticateKeyAndDomain(apiKey, 'nowhere.example'))).toContain('domain');
    expect(reason(() => auth.authenticateKeyAndDomain(apiKey, undefined))).toContain('domain');
  });

  it('checks scopes', () => {
    const { auth, apiKey } = setup();
    const p = auth.authenticateApiKey(apiKey);
    expect(() => auth.requireAnyScope(p, ['webhooks', 'administrative'])).not.toThrow();
    expect(() => auth.requireAnyScope(p, ['administrative'])).toThrow(MissingScopeError);
  });

  it('forgets a tenant domain when the tenant moves to another one', () => {
    const { directory, tenant } = setup();
    const moved = { ...tenant, domain: 'new.example', updatedAt: at(9) } as PrincipalSnapshot;
    directory.update(moved, tenant);
    expect(directory.tenantByDomainOrSlug('acme.projectbubble.com')).toBeUndefined();
    expect(directory.tenantByDomainOrSlug('NEW.example')?.tenantId).toBe('t1');
  });
});
