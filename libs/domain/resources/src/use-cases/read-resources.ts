import type { DataSource } from 'typeorm';
import { NotFoundError, UnprocessableError, parseCommand } from '@herald/domain/tenancy';
import { definitionOf, type ResourceState } from '../definitions';
import { InvalidCursorError, ResourceRepository } from '../resource.repository';
import { listQuerySchema } from '../schemas';
import { toState } from '../state';
import type { GetResourceQuery, ListResourcesQuery } from './resource-commands';

export class GetResource {
  constructor(private readonly ds: DataSource) {}

  async execute(q: GetResourceQuery): Promise<ResourceState> {
    const def = definitionOf(q.type);
    const row = await new ResourceRepository(this.ds.manager, def).get(q.tenantId, q.id);
    if (!row) throw new NotFoundError(def.label, q.id);
    return toState(this.ds.getMetadata(def.entity), row);
  }
}

export interface ResourcePage {
  data: ResourceState[];
  page: { limit: number; offset: number | null; nextCursor: string | null };
}

/** A page of a tenant's resources, oldest first, by offset or by cursor. */
export class ListResources {
  constructor(private readonly ds: DataSource) {}

  async execute(q: ListResourcesQuery): Promise<ResourcePage> {
    const def = definitionOf(q.type);
    const { limit, offset, cursor, ...rest } = parseCommand(listQuerySchema(def.filters), q.query) as {
      limit: number;
      offset?: number;
      cursor?: string;
    } & Record<string, string | undefined>;
    const filters = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const metadata = this.ds.getMetadata(def.entity);
    try {
      const page = await new ResourceRepository(this.ds.manager, def).list(q.tenantId, { limit, offset, cursor, filters });
      return {
        data: page.rows.map((r) => toState(metadata, r)),
        page: { limit, offset: offset ?? 0, nextCursor: page.nextCursor },
      };
    } catch (e) {
      if (e instanceof InvalidCursorError) throw new UnprocessableError(`cursor: ${e.message}`, [{ path: 'cursor', message: e.message }]);
      throw e;
    }
  }
}
