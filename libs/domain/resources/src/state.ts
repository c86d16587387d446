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

/**
 * The state a row will have once stored, told without the database: its properties, and for those
 * it leaves out, the columns' defaults (null for a nullable column without one); jsonb values with
 * their keys in the order PostgreSQL gives them back. Null when it cannot be told (a default that
 * is SQL, a required column left out). The database may still normalise a value (an upper-case
 * uuid, a lone surrogate): compare with toState of the stored row before trusting it.
 */
export function expectedState(metadata: EntityMetadata, row: object): ResourceState | null {
  const out: ResourceState = {};
  for (const column of metadata.columns) {
    const key = column.propertyName;
    if (key === 'tenantId') continue;
    let v = (row as Record<string, unknown>)[key];
    if (v === undefined) {
      const d: unknown = column.default;
      if (typeof d === 'function') return null;
      if (d === undefined || d === null) {
        if (!column.isNullable) return null;
        v = null;
      } else {
        v = typeof d === 'object' ? structuredClone(d) : d;
      }
    }
    out[key] = column.type === 'jsonb' ? jsonbOrder(jsonValue(v)) : jsonValue(v);
  }
  return out;
}

/** A JSON value with its objects' keys in jsonb's order (shorter first, then by their bytes). */
function jsonbOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonbOrder);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .map(([k, x]): [string, unknown] => [k, jsonbOrder(x)])
      .sort(([a], [b]) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b))),
  );
}

function jsonValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  return v;
}

const stateSqls = new WeakMap<EntityMetadata, string>();

/**
 * toState in SQL: the jsonb of a stored row of the entity (its alias `"inserted"`), to be compared
 * (jsonb `=`) with a state built in JavaScript — uuids as lower-case strings, timestamps as
 * toISOString gives them (UTC, milliseconds), jsonb as stored. Built once per entity.
 */
export function storedStateSql(metadata: EntityMetadata): string {
  let sql = stateSqls.get(metadata);
  if (sql) return sql;
  const pairs = metadata.columns
    .filter((c) => c.propertyName !== 'tenantId')
    .map((c) => {
      const col = `"inserted"."${c.databaseName.replace(/"/g, '""')}"`;
      const value = c.type === 'timestamptz' ? `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : col;
      return `'${c.propertyName.replace(/'/g, "''")}', ${value}`;
    });
  // jsonb_build_object takes at most 100 arguments: 50 pairs a call.
  const parts: string[] = [];
  for (let i = 0; i < pairs.length; i += 50) parts.push(`jsonb_build_object(${pairs.slice(i, i + 50).join(', ')})`);
  stateSqls.set(metadata, (sql = parts.join(' || ')));
  return sql;
}

/** Columns of the entity stored as timestamptz: inputs arrive as ISO strings. */
export function dateColumns(metadata: EntityMetadata): Set<string> {
  return new Set(metadata.columns.filter((c) => c.type === 'timestamptz').map((c) => c.propertyName));
}
