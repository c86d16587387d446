import type { EntityMetadata } from 'typeorm';
import type { ResourceState } from './definitions';

/**
 * A row as the API shows it and as events carry it (before/after): every column but the tenant,
 * dates as ISO 8601 strings, absent values as null. One function, so an event's `after` and a
 * GET of the same row are the same object.
 */
export function toState(metadata: EntityMetadata, row: object): ResourceState {
  const out: ResourceState = {};
  for (const column of metadata.columns) {
    const key = column.propertyName;
    if (key === 'tenantId') continue;
    out[key] = jsonValue((row as Record<string, unknown>)[key]);
  }
  return out;
}

function jsonValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  return v;
}

/** Columns of the entity stored as timestamptz: inputs arrive as ISO strings. */
export function dateColumns(metadata: EntityMetadata): Set<string> {
  return new Set(metadata.columns.filter((c) => c.type === 'timestamptz').map((c) => c.propertyName));
}
