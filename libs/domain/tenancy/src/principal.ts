import type { ApiKeyScope, Initiator } from '@herald/contracts';

/** Who is calling: the user behind an API key, in one tenant, with the key's scopes. */
export interface AuthenticatedPrincipal {
  tenantId: string;
  tenantSlug: string;
  tenantDomain: string;
  userId: string;
  fullName: string;
  email: string;
  keyId: string;
  scopes: readonly ApiKeyScope[];
}

/** The event's initiator: PPM Express' `Initiator{UserId, FullName, LogonAccount}`. */
export function initiatorOf(p: Pick<AuthenticatedPrincipal, 'userId' | 'fullName' | 'email'>): Initiator {
  return { userId: p.userId, fullName: p.fullName, logonAccount: p.email };
}
