import { API_KEY_SCOPES, hashApiKey, parseApiKey } from '@herald/contracts';
import { generateApiKey } from './api-key-secret';
import { CreateApiKeyCommandSchema, CreateTenantCommandSchema, parseCommand } from './commands';
import { ValidationError } from './errors';
import { apiKeySnapshot } from './principals/principal-snapshots';
import { ApiKeyEntity } from './entities';

describe('generateApiKey', () => {
  it('makes keys that parse to their key id and hash to the stored hash', () => {
    const k = generateApiKey();
    expect(k.apiKey).toMatch(/^hk_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(k.apiKey)).toEqual({ keyId: k.keyId });
    expect(k.hash).toBe(hashApiKey(k.apiKey));
  });

  it('never repeats a key id or secret', () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(200);
    expect(new Set(keys.map((k) => k.apiKey)).size).toBe(200);
  });
});

describe('tenancy commands', () => {
  it('normalises a tenant command (domain and e-mail lower-cased)', () => {
    const c = parseCommand(CreateTenantCommandSchema, {
      slug: 'acme',
      domain: 'Acme.ProjectBubble.com',
      adminName: ' Anna Doe ',
      adminEmail: 'Anna.Doe@Company.com',
    });
    expect(c).toEqual({ slug: 'acme', domain: 'acme.projectbubble.com', adminName: 'Anna Doe', adminEmail: 'anna.doe@company.com' });
  });

  it('names every bad field in one ValidationError', () => {
    let error: unknown;
    try {
      parseCommand(CreateTenantCommandSchema, { slug: 'Not A Slug', domain: 'x y', adminName: '', adminEmail: 'nope', extra: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const paths = (error as ValidationError).errors.map((e) => e.path).sort();
    expect(paths).toEqual(['(body)', 'adminEmail', 'adminName', 'domain', 'slug']);
  });

  it('defaults a key to every scope and de-duplicates given scopes in catalog order', () => {
    const tenantId = '00000000-0000-4000-8000-000000000000';
    expect(parseCommand(CreateApiKeyCommandSchema, { tenantId, user: 'a@b.c' }).scopes).toEqual([...API_KEY_SCOPES]);
    expect(parseCommand(CreateApiKeyCommandSchema, { tenantId, user: 'a@b.c', scopes: ['write', 'read', 'write'] }).scopes).toEqual([
      'read',
      'write',
    ]);
    expect(() => parseCommand(CreateApiKeyCommandSchema, { tenantId, user: 'a@b.c', scopes: ['root'] })).toThrow(ValidationError);
  });
});

describe('principal snapshots', () => {
  it('carry the key hash, never the key', () => {
    const k = generateApiKey();
    const row = Object.assign(new ApiKeyEntity(), {
      id: '00000000-0000-4000-8000-000000000001',
      tenantId: '00000000-0000-4000-8000-000000000002',
      userId: '00000000-0000-4000-8000-000000000003',
      keyId: k.keyId,
      hash: k.hash,
      scopes: ['read'],
      label: null,
      revokedAt: null,
      updatedAt: new Date('2026-01-01T00:00:00Z'),
    });
    const snap = apiKeySnapshot(row);
    expect(snap).toMatchObject({ kind: 'api-key', keyId: k.keyId, hash: k.hash, scopes: ['read'], revokedAt: null });
    expect(JSON.stringify(snap)).not.toContain(k.apiKey);
  });
});
