import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  AuthenticationError,
  PermissionError,
  type AuthenticateApiKey,
  type AuthenticateApiKeyCommand,
  type AuthenticatedPrincipal,
} from '@herald/domain/tenancy';
import { ApiKeyGuard } from './api-key.guard';

const principal = (scopes: AuthenticatedPrincipal['scopes']): AuthenticatedPrincipal => ({
  tenantId: 't',
  tenantSlug: 'acme',
  tenantDomain: 'acme.projectbubble.com',
  userId: 'u',
  fullName: 'Anna Doe',
  email: 'anna@acme.test',
  keyId: 'k',
  scopes,
});

function setup(scopes: AuthenticatedPrincipal['scopes'] = ['read', 'write']) {
  const calls: AuthenticateApiKeyCommand[] = [];
  const authenticate = {
    execute: async (c: AuthenticateApiKeyCommand) => {
      calls.push(c);
      return principal(scopes);
    },
  } as unknown as AuthenticateApiKey;
  const guard = new ApiKeyGuard(authenticate, new Reflector());
  const run = (method: string, headers: Record<string, string>) => {
    const req: Record<string, unknown> = { method, headers };
    const ctx = {
      switchToHttp: () => ({ getRequest: () => req }),
      getHandler: () => run,
      getClass: () => ApiKeyGuard,
    } as unknown as ExecutionContext;
    return guard.canActivate(ctx).then((ok) => ({ ok, req }));
  };
  return { calls, run };
}

describe('ApiKeyGuard', () => {
  it('takes a bearer key, or ProProfs key + domain', async () => {
    const { calls, run } = setup();
    await run('GET', { authorization: 'Bearer hk_abc_def' });
    await run('GET', { key: 'hk_abc_def', domain: 'acme.projectbubble.com' });
    expect(calls).toEqual([{ apiKey: 'hk_abc_def' }, { apiKey: 'hk_abc_def', domain: 'acme.projectbubble.com' }]);
  });

  it('says what is missing or malformed', async () => {
    const { run } = setup();
    await expect(run('GET', {})).rejects.toThrow(/missing credentials/);
    await expect(run('GET', { authorization: 'Basic YTpi' })).rejects.toThrow(/Bearer <API key>/);
    await expect(run('GET', { key: 'hk_abc_def' })).rejects.toThrow(AuthenticationError);
  });

  it('needs read for GET and write for changes', async () => {
    await expect(setup(['read']).run('GET', { authorization: 'Bearer x' })).resolves.toMatchObject({ ok: true });
    await expect(setup(['read']).run('POST', { authorization: 'Bearer x' })).rejects.toBeInstanceOf(PermissionError);
    await expect(setup(['write']).run('GET', { authorization: 'Bearer x' })).rejects.toBeInstanceOf(PermissionError);
    await expect(setup(['write']).run('DELETE', { authorization: 'Bearer x' })).resolves.toMatchObject({ ok: true });
  });
});
