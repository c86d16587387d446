import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { API_KEY_SCOPES } from '@herald/contracts';
import { CreateTenantCommandSchema, parseCommand, type CreateTenantCommand } from '../commands';
import { ApiKeyEntity, TenantEntity, UserEntity } from '../entities';
import { ConflictError, isUniqueViolation } from '../errors';
import { generateApiKey } from '../api-key-secret';
import type { PrincipalChangeListener } from '../principals/principal-publisher';
import { TenancyRepository } from '../tenancy.repository';

export interface CreatedTenant {
  tenant: TenantEntity;
  admin: UserEntity;
  key: ApiKeyEntity;
  /** The admin's first key, all scopes. Shown once. */
  apiKey: string;
}

/** A new install's tenant, its admin user and that user's first API key, in one transaction. */
export class CreateTenant {
  constructor(
    private readonly ds: DataSource,
    private readonly principals?: PrincipalChangeListener,
  ) {}

  async execute(command: CreateTenantCommand): Promise<CreatedTenant> {
    const c = parseCommand(CreateTenantCommandSchema, command);
    const now = new Date();
    const secret = generateApiKey();
    const created = await this.ds
      .transaction(async (m) => {
        const repo = new TenancyRepository(m);
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
        const admin = await repo.insertUser(
          tenant.id,
          Object.assign(new UserEntity(), {
            id: randomUUID(),
            fullName: c.adminName,
            email: c.adminEmail,
            active: true,
            isAdmin: true,
            version: 1,
            publishedVersion: 0,
            createdAt: now,
            updatedAt: now,
          }),
        );
        const key = await repo.insertApiKey(
          tenant.id,
          Object.assign(new ApiKeyEntity(), {
            id: randomUUID(),
            userId: admin.id,
            keyId: secret.keyId,
            hash: secret.hash,
            scopes: [...API_KEY_SCOPES],
            label: 'bootstrap',
            revokedAt: null,
            version: 1,
            publishedVersion: 0,
            createdAt: now,
            updatedAt: now,
          }),
        );
        return { tenant, admin, key, apiKey: secret.apiKey };
      })
      .catch((e: unknown) => {
        if (isUniqueViolation(e)) throw new ConflictError(`a tenant with slug "${c.slug}" or domain "${c.domain}" already exists`);
        throw e;
      });
    this.principals?.principalsChanged();
    return created;
  }
}
