import type { EntityManager, FindOptionsWhere, ObjectLiteral } from 'typeorm';
import type { TenantOwnedEntity } from './entities/base';
import type { ResourceDefinition } from './definitions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(v: string): boolean {
  return UUID.test(v);
}

export interface PageQuery {
  limit: number;
  offset?: number;
  cursor?: string;
  /** Equality filters on state fields (e.g. projectId). */
  filters: Record<string, string>;
}

export interface Page<T> {
  rows: T[];
  nextCursor: string | null;
}

interface CursorPosition {
  createdAt: string;
  id: string;
}

export function encodeCursor(row: Pick<TenantOwnedEntity, 'createdAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 2) return null;
    const [createdAt, id] = v as unknown[];
    if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) return null;
    if (typeof id !== 'string' || !UUID.test(id)) return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}

/**
 * Rows of one resource type, always within one tenant: every method takes the tenant id first,
 * so there is no way to read or write across tenants through it.
 */
export class ResourceRepository<T extends TenantOwnedEntity = TenantOwnedEntity> {
  constructor(
    private readonly m: EntityManager,
    private readonly def: ResourceDefinition,
  ) {}

  private get entity() {
    return this.def.entity as unknown as new () => T;
  }

  async get(tenantId: string, id: string, opts: { lock?: boolean } = {}): Promise<T | null> {
    if (!UUID.test(id)) return null;
    const qb = this.m
      .createQueryBuilder(this.entity, 'r')
      .where('r.tenantId = :tenantId AND r.id = :id', { tenantId, id });
    if (opts.lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  async exists(tenantId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    return this.m.exists(this.entity, { where: { tenantId, id } as FindOptionsWhere<T> });
  }

  async list(tenantId: string, q: PageQuery): Promise<Page<T>> {
    const qb = this.m.createQueryBuilder(this.entity, 'r').where('r.tenantId = :tenantId', { tenantId });
    for (const [field, value] of Object.entries(q.filters)) {
      if (!this.def.filters.includes(field)) throw new Error(`${this.def.type} has no filter ${field}`);
      qb.andWhere(`r.${field} = :f_${field}`, { [`f_${field}`]: value });
    }
    if (q.cursor) {
      const pos = decodeCursor(q.cursor);
      if (!pos) throw new InvalidCursorError();
      qb.andWhere('(r.createdAt, r.id) > (:cAt, :cId)', { cAt: new Date(pos.createdAt), cId: pos.id });
    }
    qb.orderBy('r.createdAt', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .limit(q.limit + 1);
    if (q.offset) qb.offset(q.offset);
    const rows = await qb.getMany();
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    return { rows: page, nextCursor: more ? encodeCursor(page[page.length - 1]) : null };
  }

  async countWhere(tenantId: string, where: Record<string, unknown>): Promise<number> {
    return this.m.count(this.entity, { where: { ...where, tenantId } as FindOptionsWhere<T> });
  }

  async insert(tenantId: string, row: T): Promise<T> {
    if (row.tenantId !== tenantId) throw new Error('row belongs to another tenant');
    await this.m.insert(this.entity, row as never);
    return (await this.get(tenantId, row.id)) as T;
  }

  async update(tenantId: string, row: T): Promise<T> {
    if (row.tenantId !== tenantId) throw new Error('row belongs to another tenant');
    const { id, ...values } = row as T & ObjectLiteral;
    await this.m.update(this.entity, { tenantId, id } as FindOptionsWhere<T>, values as never);
    return (await this.get(tenantId, id)) as T;
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.m.delete(this.entity, { tenantId, id } as FindOptionsWhere<T>);
  }
}

export class InvalidCursorError extends Error {
  constructor() {
    super('the cursor is not one this API returned');
  }
}
