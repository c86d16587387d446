import type { EntityManager } from 'typeorm';
import { entityFromRow, selectList, tableOf } from '@herald/platform/db';
import { ApiKeyEntity, TenantEntity, UserEntity } from './entities';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface KeyLookup {
  key: ApiKeyEntity;
  user: UserEntity;
  tenant: TenantEntity;
}

let authenticationSql: string | undefined;

/**
 * Tenants, users and keys. Everything below a tenant takes the tenant id first: a query that
 * forgets the tenant does not compile.
 */
export class TenancyRepository {
  constructor(private readonly m: EntityManager) {}

  findTenantById(tenantId: string): Promise<TenantEntity | null> {
    return this.m.findOne(TenantEntity, { where: { id: tenantId } });
  }

  findTenantBySlug(slug: string): Promise<TenantEntity | null> {
    return this.m.findOne(TenantEntity, { where: { slug: slug.toLowerCase() } });
  }

  async tenantExists(slug: string, domain: string): Promise<'slug' | 'domain' | null> {
    const rows: Array<{ slug: string }> = await this.m
      .createQueryBuilder(TenantEntity, 't')
      .select('t.slug', 'slug')
      .where('t.slug = :slug OR lower(t.domain) = lower(:domain)', { slug, domain })
      .getRawMany();
    if (!rows.length) return null;
    return rows.some((r) => r.slug === slug) ? 'slug' : 'domain';
  }

  insertTenant(tenant: TenantEntity): Promise<TenantEntity> {
    return this.m.save(TenantEntity, tenant);
  }

  findUser(tenantId: string, userId: string, lock = false): Promise<UserEntity | null> {
    if (!UUID.test(userId)) return Promise.resolve(null);
    const qb = this.m.createQueryBuilder(UserEntity, 'u').where('u.tenantId = :tenantId AND u.id = :userId', { tenantId, userId });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  async saveUser(tenantId: string, user: UserEntity): Promise<UserEntity> {
    if (user.tenantId !== tenantId) throw new Error('user belongs to another tenant');
    return this.m.save(UserEntity, user);
  }

  findUserByEmail(tenantId: string, email: string): Promise<UserEntity | null> {
    return this.m
      .createQueryBuilder(UserEntity, 'u')
      .where('u.tenantId = :tenantId AND lower(u.email) = lower(:email)', { tenantId, email })
      .getOne();
  }

  /** A user by id or by email (the CLI accepts either). */
  async findUserByIdOrEmail(tenantId: string, idOrEmail: string): Promise<UserEntity | null> {
    return idOrEmail.includes('@') ? this.findUserByEmail(tenantId, idOrEmail) : this.findUser(tenantId, idOrEmail);
  }

  listUsers(tenantId: string, limit: number, offset: number): Promise<[UserEntity[], number]> {
    return this.m.findAndCount(UserEntity, {
      where: { tenantId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
  }

  /** Users of the tenant among `ids` (unknown or other tenants' ids are simply absent). */
  findUsers(tenantId: string, ids: readonly string[]): Promise<UserEntity[]> {
    const valid = ids.filter((id) => UUID.test(id));
    if (!valid.length) return Promise.resolve([]);
    return this.m
      .createQueryBuilder(UserEntity, 'u')
      .where('u.tenantId = :tenantId AND u.id IN (:...ids)', { tenantId, ids: valid })
      .getMany();
  }

  insertUser(tenantId: string, user: UserEntity): Promise<UserEntity> {
    return this.m.save(UserEntity, { ...user, tenantId });
  }

  insertApiKey(tenantId: string, key: ApiKeyEntity): Promise<ApiKeyEntity> {
    return this.m.save(ApiKeyEntity, { ...key, tenantId });
  }

  /** A key by its row id or its public key id; locked for update when revoking. */
  findApiKey(tenantId: string, idOrKeyId: string, lock = false): Promise<ApiKeyEntity | null> {
    const qb = this.m
      .createQueryBuilder(ApiKeyEntity, 'k')
      .where('k.tenantId = :tenantId', { tenantId })
      .andWhere(UUID.test(idOrKeyId) ? 'k.id = :id' : 'k.keyId = :id', { id: idOrKeyId });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  listApiKeys(tenantId: string, userId?: string): Promise<ApiKeyEntity[]> {
    return this.m.find(ApiKeyEntity, {
      where: userId ? { tenantId, userId } : { tenantId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  async saveApiKey(tenantId: string, key: ApiKeyEntity): Promise<ApiKeyEntity> {
    if (key.tenantId !== tenantId) throw new Error('api key belongs to another tenant');
    return this.m.save(ApiKeyEntity, key);
  }

  /**
   * Authentication: the key id names the key (and so the tenant); the caller checks the hash. One
   * query, in plain SQL built once (it runs on every request: TypeORM's join building cost more
   * CPU than the query).
   */
  async findKeyForAuthentication(keyId: string): Promise<KeyLookup | null> {
    const meta = {
      key: this.m.connection.getMetadata(ApiKeyEntity),
      user: this.m.connection.getMetadata(UserEntity),
      tenant: this.m.connection.getMetadata(TenantEntity),
    };
    authenticationSql ??=
      `SELECT ${selectList(meta.key, 'k')}, ${selectList(meta.user, 'u')}, ${selectList(meta.tenant, 't')} ` +
      `FROM ${tableOf(meta.key)} k JOIN ${tableOf(meta.user)} u ON u."tenant_id" = k."tenant_id" AND u."id" = k."user_id" ` +
      `JOIN ${tableOf(meta.tenant)} t ON t."id" = k."tenant_id" WHERE k."key_id" = $1`;
    const rows = (await this.m.query(authenticationSql, [keyId])) as Array<Record<string, unknown>>;
    if (!rows.length) return null;
    return {
      key: entityFromRow<ApiKeyEntity>(meta.key, rows[0], 'k'),
      user: entityFromRow<UserEntity>(meta.user, rows[0], 'u'),
      tenant: entityFromRow<TenantEntity>(meta.tenant, rows[0], 't'),
    };
  }
}
