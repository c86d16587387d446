import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { SubscriptionStatus } from '@herald/contracts';
import { SubscriptionConflictError, SubscriptionVersionConflictError } from '../model/errors';
import { DeletedSubscriptionEntity, SubscriptionEntity } from './subscription.entity';

/** jsonb columns hold free-form records, which TypeORM's deep-partial type cannot follow. */
type Row = QueryDeepPartialEntity<SubscriptionEntity>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How a caller names a subscription: Herald's id, or the number a dialect shows (optionally only its own). */
export type SubscriptionRef = { id: string } | { externalId: number; dialect?: string };

export interface SubscriptionFilter {
  status?: SubscriptionStatus;
  /** Subscriptions that receive this event type (those with "*" included). */
  eventType?: string;
  dialect?: string;
  url?: string;
  templateId?: string;
}

export function describeRef(ref: SubscriptionRef): string {
  return 'id' in ref ? ref.id : String(ref.externalId);
}

/**
 * Subscriptions of one tenant. Every method takes the tenant id first: a query that forgets the
 * tenant does not compile, and another tenant's subscription is simply not found.
 */
export class SubscriptionRepository {
  constructor(private readonly m: EntityManager) {}

  /** With `lock`, the row stays locked until the transaction ends (read-modify-write). */
  async find(tenantId: string, ref: SubscriptionRef, lock = false): Promise<SubscriptionEntity | null> {
    const qb = this.m.createQueryBuilder(SubscriptionEntity, 's').where('s.tenantId = :tenantId', { tenantId });
    if ('id' in ref) {
      if (!UUID.test(ref.id)) return null;
      qb.andWhere('s.id = :id', { id: ref.id });
    } else {
      if (!Number.isSafeInteger(ref.externalId) || ref.externalId < 1) return null;
      qb.andWhere('s.externalId = :externalId', { externalId: ref.externalId });
      if (ref.dialect) qb.andWhere('s.dialect = :dialect', { dialect: ref.dialect });
    }
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  /** A page in external-id order (stable while rows are added): rows after `afterExternalId`. */
  list(tenantId: string, filter: SubscriptionFilter, limit: number, afterExternalId = 0): Promise<SubscriptionEntity[]> {
    const qb = this.m
      .createQueryBuilder(SubscriptionEntity, 's')
      .where('s.tenantId = :tenantId', { tenantId })
      .andWhere('s.externalId > :after', { after: afterExternalId })
      .orderBy('s.externalId', 'ASC')
      .limit(limit);
    if (filter.status) qb.andWhere('s.status = :status', { status: filter.status });
    if (filter.eventType) qb.andWhere(`s.eventTypes && ARRAY[:eventType, '*']::text[]`, { eventType: filter.eventType });
    if (filter.dialect) qb.andWhere('s.dialect = :dialect', { dialect: filter.dialect });
    if (filter.url) qb.andWhere('s.url = :url', { url: filter.url });
    if (filter.templateId) qb.andWhere('s.templateId = :templateId', { templateId: filter.templateId });
    return qb.getMany();
  }

  /**
   * Serialises, across every registry replica, the transactions that add subscriptions to one
   * tenant (a transaction-scoped advisory lock on the tenant), so a count read under it stays
   * true until the insert commits.
   */
  async lockTenantForInsert(tenantId: string): Promise<void> {
    await this.m.query(`SELECT pg_advisory_xact_lock(hashtext('herald.registry.tenant-subscriptions'), hashtext($1))`, [tenantId]);
  }

  /** How many subscriptions the tenant has (every API's, template copies included). */
  async countForTenant(tenantId: string): Promise<number> {
    return this.m.createQueryBuilder(SubscriptionEntity, 's').where('s.tenantId = :tenantId', { tenantId }).getCount();
  }

  async insert(tenantId: string, s: SubscriptionEntity): Promise<SubscriptionEntity> {
    if (s.tenantId !== tenantId) throw new Error('subscription of another tenant');
    await this.m.insert(SubscriptionEntity, s as Row).catch(rethrowUniqueViolation);
    const saved = await this.find(tenantId, { id: s.id });
    if (!saved) throw new Error(`subscription ${s.id} vanished after its insert`);
    return saved;
  }

  /**
   * Inserts a template copy unless that template hook was already copied to that project
   * (a redelivered `project.created`). Resolves with whether it inserted.
   */
  async insertCopyIfAbsent(tenantId: string, s: SubscriptionEntity): Promise<boolean> {
    if (s.tenantId !== tenantId) throw new Error('subscription of another tenant');
    const r = await this.m
      .createQueryBuilder()
      .insert()
      .into(SubscriptionEntity)
      .values(s as Row)
      .orIgnore()
      .returning('id')
      .execute();
    return (r.raw as unknown[]).length > 0;
  }

  /**
   * Writes the row back if it is still at `readVersion`, the version the change was computed
   * from (checked in the UPDATE itself, so it holds across replicas whatever the caller locked);
   * otherwise writes nothing and throws `SubscriptionVersionConflictError`.
   */
  async save(tenantId: string, s: SubscriptionEntity, readVersion: number): Promise<SubscriptionEntity> {
    if (s.tenantId !== tenantId) throw new Error('subscription of another tenant');
    const { externalId: _e, id, ...changes } = s;
    const r = await this.m.update(SubscriptionEntity, { id, tenantId, version: readVersion }, changes as Row).catch(rethrowUniqueViolation);
    if (!r.affected) throw new SubscriptionVersionConflictError(id, readVersion);
    return s;
  }

  /** Deletes the row and leaves a tombstone to publish, in the caller's transaction. */
  async delete(tenantId: string, id: string, at: Date): Promise<void> {
    await this.m.delete(SubscriptionEntity, { id, tenantId });
    await this.m
      .createQueryBuilder()
      .insert()
      .into(DeletedSubscriptionEntity)
      .values({ id, tenantId, deletedAt: at })
      .orIgnore()
      .execute();
  }
}

/**
 * A unique index refused the row (e.g. a ProProfs target URL the tenant already has, under a
 * race no read-before-write can see): a conflict, the API's 409 (the index's name stays here).
 */
function rethrowUniqueViolation(e: unknown): never {
  const pg = (e as { driverError?: { code?: string } }).driverError;
  if (pg?.code !== '23505') throw e;
  throw new SubscriptionConflictError('another subscription of the tenant already has a value that must be unique (e.g. its target URL)');
}
