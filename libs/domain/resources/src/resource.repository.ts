import type { EntityManager, EntityMetadata, FindOptionsWhere, ObjectLiteral } from 'typeorm';
import { insertReturning, rowExists, selectOne, updateReturning, type CompanionRow } from '@herald/platform/db';
import type { TenantOwnedEntity } from './entities/base';
import type { ResourceDefinition } from './definitions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(v: string): boolean {
  return UUID.test(v);
}

/** A row of another resource type that must exist (in the same tenant) for a write to happen. */
export interface ResourceReference {
  def: ResourceDefinition;
  id: string;
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

/**
 * A page position: the last row's creation time (ISO 8601, UTC, milliseconds) and id, e.g.
 * `2026-03-01T15:00:00.000Z_0d11d333-3245-4f01-b604-70708ddb380f`. Any string of this shape is a
 * position (the OpenAPI document gives the pattern), so a cursor is never "not one we gave".
 */
export const CURSOR_PATTERN =
  /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function encodeCursor(row: Pick<TenantOwnedEntity, 'createdAt' | 'id'>): string {
  return `${row.createdAt.toISOString()}_${row.id}`;
}

export function decodeCursor(cursor: string): CursorPosition | null {
  if (!CURSOR_PATTERN.test(cursor)) return null;
  const [createdAt, id] = cursor.split('_');
  if (Number.isNaN(Date.parse(createdAt))) return null;
  return { createdAt, id };
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

  private get metadata(): EntityMetadata {
    return this.m.connection.getMetadata(this.def.entity);
  }

  // The write path's statements are plain SQL built once per entity (@herald/platform/db): one
  // round trip each, no query-builder work per request.

  async get(tenantId: string, id: string, opts: { lock?: boolean } = {}): Promise<T | null> {
    if (!UUID.test(id)) return null;
    return selectOne<T>(this.m, this.metadata, { tenantId, id }, { forUpdate: opts.lock });
  }

  async exists(tenantId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    return rowExists(this.m, this.metadata, { tenantId, id });
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

  /**
   * INSERT … RETURNING *: the row as stored (defaults included), in one round trip. With
   * `references`, the row is inserted only if each names a row of the same tenant, checked in the
   * same statement; null when one does not (nothing inserted). With `companion`, that row (its
   * outbox row) is inserted by the same statement, only if this one is.
   */
  async insert(tenantId: string, row: T): Promise<T>;
  async insert(tenantId: string, row: T, references: readonly ResourceReference[], companion?: CompanionRow): Promise<T | null>;
  async insert(tenantId: string, row: T, references: readonly ResourceReference[] = [], companion?: CompanionRow): Promise<T | null> {
    if (row.tenantId !== tenantId) throw new Error('row belongs to another tenant');
    if (references.some((r) => !UUID.test(r.id))) return null;
    const conditions = references.map((r) => ({ metadata: this.m.connection.getMetadata(r.def.entity), key: { tenantId, id: r.id } }));
    return insertReturning<T>(this.m, this.metadata, row as unknown as Record<string, unknown>, { conditions, companion });
  }

  /** UPDATE … RETURNING *: the row as stored, in one round trip. */
  async update(tenantId: string, row: T): Promise<T> {
    if (row.tenantId !== tenantId) throw new Error('row belongs to another tenant');
    const { id, ...values } = row as T & ObjectLiteral;
    const saved = await updateReturning<T>(this.m, this.metadata, { tenantId, id }, values);
    if (!saved) throw new Error(`${this.def.type} ${String(id)} vanished during its update`);
    return saved;
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
