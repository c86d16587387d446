import type { PrincipalSnapshot } from '@herald/contracts';
import type { ApiKeyEntity, TenantEntity, UserEntity } from '../entities';

export function tenantSnapshot(t: TenantEntity): PrincipalSnapshot {
  return {
    kind: 'tenant',
    tenantId: t.id,
    slug: t.slug,
    domain: t.domain,
    name: t.name,
    updatedAt: t.updatedAt.toISOString(),
  };
}

export function userSnapshot(u: UserEntity): PrincipalSnapshot {
  return {
    kind: 'user',
    tenantId: u.tenantId,
    userId: u.id,
    fullName: u.fullName,
    email: u.email,
    active: u.active,
    updatedAt: u.updatedAt.toISOString(),
  };
}

/** Only the hash travels: the key in clear exists once, in the creator's hands. */
export function apiKeySnapshot(k: ApiKeyEntity): PrincipalSnapshot {
  return {
    kind: 'api-key',
    tenantId: k.tenantId,
    keyId: k.keyId,
    userId: k.userId,
    hash: k.hash,
    scopes: [...k.scopes],
    revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
    updatedAt: k.updatedAt.toISOString(),
  };
}
