import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { hashApiKey, parseApiKey, type ApiKeyScope } from '@herald/contracts';
import { PrincipalDirectory } from './principal-directory';

/** Who is calling: the tenant, the user behind the key, and what the key may do. */
export interface AuthenticatedPrincipal {
  tenantId: string;
  tenantSlug: string;
  tenantDomain: string;
  userId: string;
  userFullName: string;
  keyId: string;
  scopes: ApiKeyScope[];
}

/**
 * Bad or missing credentials. The message says what is wrong without telling a guesser whether
 * a key id exists; every API answers it with its own 401.
 */
export class AuthenticationError extends Error {}

/** The key is good but may not do this (e.g. no `webhooks` scope): a 403. */
export class MissingScopeError extends Error {
  constructor(readonly required: readonly ApiKeyScope[]) {
    super(`the API key needs one of the scopes: ${required.join(', ')}`);
  }
}

/**
 * Resolves credentials against the principals read from `herald.principals.v1`:
 * `Authorization: Bearer hk_…` (native API, Procore, PPM Express, Worksection oauth2) and
 * ProProfs' `key` + `domain` headers. Revoked keys and deactivated users are refused.
 */
@Injectable()
export class Authenticator {
  constructor(private readonly directory: PrincipalDirectory) {}

  /** An `Authorization` header value: `Bearer hk_…`. */
  authenticateBearer(authorization: string | undefined | null): AuthenticatedPrincipal {
    if (!authorization) throw new AuthenticationError('missing Authorization header (expected "Bearer <API key>")');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw new AuthenticationError('the Authorization header must be "Bearer <API key>"');
    return this.authenticateApiKey(m[1]);
  }

  /** ProProfs: the `key` header, and the `domain` header naming the key's tenant (its domain, any case, or its slug). */
  authenticateKeyAndDomain(key: string | undefined | null, domain: string | undefined | null): AuthenticatedPrincipal {
    if (!key) throw new AuthenticationError('missing key header');
    if (!domain) throw new AuthenticationError('missing domain header');
    const principal = this.authenticateApiKey(key);
    const tenant = this.directory.tenantByDomainOrSlug(domain);
    if (!tenant || tenant.tenantId !== principal.tenantId) {
      throw new AuthenticationError('the domain header does not match the API key');
    }
    return principal;
  }

  /** An API key as such (`hk_<keyId>_<secret>`). */
  authenticateApiKey(apiKey: string): AuthenticatedPrincipal {
    const key = apiKey.trim();
    const parsed = parseApiKey(key);
    if (!parsed) throw new AuthenticationError('the API key is malformed (expected hk_<keyId>_<secret>)');
    const stored = this.directory.apiKey(parsed.keyId);
    const given = Buffer.from(hashApiKey(key), 'hex');
    // Compare even when the key id is unknown, so both paths cost the same.
    const expected = Buffer.from(stored?.hash ?? '0'.repeat(64), 'hex');
    if (!timingSafeEqual(expected, given) || !stored) throw new AuthenticationError('the API key is not valid');
    if (stored.revokedAt) throw new AuthenticationError('the API key has been revoked');
    const user = this.directory.user(stored.tenantId, stored.userId);
    if (!user || !user.active) throw new AuthenticationError("the API key's user is deactivated");
    const tenant = this.directory.tenant(stored.tenantId);
    if (!tenant) throw new AuthenticationError("the API key's tenant does not exist");
    return {
      tenantId: tenant.tenantId,
      tenantSlug: tenant.slug,
      tenantDomain: tenant.domain,
      userId: user.userId,
      userFullName: user.fullName,
      keyId: stored.keyId,
      scopes: [...stored.scopes],
    };
  }

  /** Throws unless the principal holds at least one of the scopes. */
  requireAnyScope(principal: AuthenticatedPrincipal, scopes: readonly ApiKeyScope[]): void {
    if (!scopes.some((s) => principal.scopes.includes(s))) throw new MissingScopeError(scopes);
  }
}
