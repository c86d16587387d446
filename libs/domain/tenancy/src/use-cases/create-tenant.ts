import { randomUUID } from 'node:crypto';
import { API_KEY_SCOPES } from '@herald/contracts';
import { CreateTenantCommandSchema, parseCommand, type CreateTenantCommand } from '../commands';
import { TenantEntity, type ApiKeyEntity, type UserEntity } from '../entities';
import { ConflictError } from '../errors';
import { generateApiKey } from '../api-key-secret';
import { PrincipalChange, newApiKey, newUser } from './principal-change';

export interface CreatedTenant {
  tenant: TenantEntity;
  admin: UserEntity;
  key: ApiKeyEntity;
  /** The admin's first key, all scopes. Shown once. */
  apiKey: string;
}

/** A new install's tenant, its admin user and that user's first API key, in one transaction. */
export class CreateTenant extends PrincipalChange {
  async execute(command: CreateTenantCommand): Promise<CreatedTenant> {
    const c = parseCommand(CreateTenantCommandSchema, command);
    const now = new Date();
    const secret = generateApiKey();
    return this.write(
      async (repo) => {
        const taken = await repo.tenantExists(c.slug, c.domain);
        if (taken) throw new ConflictError(`a tenant with ${taken} "${taken === 'slug' ? c.slug : c.domain}" already exists`);
        const tenant = await repo.insertTenant(
          Object.assign(new TenantEntity(), {
            id: randomUUID(),
            slug: c.slug,
            domain: c.domain,
            name: c.name ?? c.slug,
            version: 1,
            publishedVersion: 0,
            createdAt: now,
            updatedAt: now,
          }),
        );
        const admin = await repo.insertUser(tenant.id, newUser(now, { fullName: c.adminName, email: c.adminEmail, isAdmin: true }));
        const key = await repo.insertApiKey(tenant.id, newApiKey(now, admin.id, secret, [...API_KEY_SCOPES], 'bootstrap'));
        return { tenant, admin, key, apiKey: secret.apiKey };
      },
      { conflict: `a tenant with slug "${c.slug}" or domain "${c.domain}" already exists` },
    );
  }
}
