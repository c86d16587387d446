import { timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { hashApiKey, parseApiKey } from '@herald/contracts';
import { AuthenticationError } from '../errors';
import type { AuthenticatedPrincipal } from '../principal';
import { TenancyRepository } from '../tenancy.repository';

export interface AuthenticateApiKeyCommand {
  apiKey: string;
  /** ProProfs style: the `domain` header, which must be the key's tenant's domain. */
  domain?: string;
}

/**
 * The user behind an API key. Every failure is an AuthenticationError whose message says what
 * is wrong without telling a guesser whether a key id exists.
 */
export class AuthenticateApiKey {
  constructor(private readonly ds: DataSource) {}

  async execute(c: AuthenticateApiKeyCommand): Promise<AuthenticatedPrincipal> {
    const parsed = parseApiKey(c.apiKey.trim());
    if (!parsed) throw new AuthenticationError('the API key is malformed (expected hk_<keyId>_<secret>)');
    const found = await new TenancyRepository(this.ds.manager).findKeyForAuthentication(parsed.keyId);
    const given = Buffer.from(hashApiKey(c.apiKey.trim()), 'hex');
    if (!found || !timingSafeEqual(Buffer.from(found.key.hash, 'hex'), given)) {
      throw new AuthenticationError('the API key is not valid');
    }
    if (found.key.revokedAt) throw new AuthenticationError('the API key has been revoked');
    if (!found.user.active) throw new AuthenticationError("the API key's user is deactivated");
    if (c.domain !== undefined && c.domain.trim().toLowerCase() !== found.tenant.domain.toLowerCase()) {
      throw new AuthenticationError('the domain header does not match the API key');
    }
    return {
      tenantId: found.tenant.id,
      tenantSlug: found.tenant.slug,
      tenantDomain: found.tenant.domain,
      userId: found.user.id,
      fullName: found.user.fullName,
      email: found.user.email,
      keyId: found.key.keyId,
      scopes: found.key.scopes,
    };
  }
}
