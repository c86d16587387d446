import type { EntityManager, EntityMetadata } from 'typeorm';

/*
 * Plain SQL for the hot paths of an entity, generated once from its TypeORM metadata: one
 * `INSERT … RETURNING *` instead of an insert and a re-read, one `UPDATE … RETURNING *`, one
 * `SELECT` by key. TypeORM's query builder costs more CPU per statement than the round trip it
 * makes (its alias and property-name rewriting showed at the top of the domain API's profile);
 * these statements are built once per entity and column set, and the rows they return are mapped
 * back to entities by the same metadata.
 */

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** `"schema"."table"` of an entity. */
export function tableOf(metadata: EntityMetadata): string {
  return metadata.schema ? `${quote(metadata.schema)}.${quote(metadata.tableName)}` : quote(metadata.tableName);
}

/**
 * A row as the driver returned it → an entity (columns renamed to properties; values as parsed by
 * `pg`). `prefix`: the row's columns are `<prefix>__<column>` (see selectList).
 */
export function entityFromRow<T>(metadata: EntityMetadata, row: Record<string, unknown>, prefix?: string): T {
  const entity = metadata.create() as Record<string, unknown>;
  for (const column of metadata.columns) entity[column.propertyName] = row[prefix ? `${prefix}__${column.databaseName}` : column.databaseName];
  return entity as T;
}

/** `a."col" AS "a__col", …` for every column of an entity: several entities in one row (a join). */
export function selectList(metadata: EntityMetadata, alias: string): string {
  return metadata.columns.map((c) => `${quote(alias)}.${quote(c.databaseName)} AS ${quote(`${alias}__${c.databaseName}`)}`).join(', ');
}

/** A property value as a parameter: json/jsonb as JSON text (`pg` would turn an array into a PostgreSQL array). */
function parameter(metadata: EntityMetadata, property: string, value: unknown): unknown {
  const column = metadata.findColumnWithPropertyName(property);
  if (value !== null && value !== undefined && (column?.type === 'jsonb' || column?.type === 'json')) return JSON.stringify(value);
  return value;
}

const statements = new WeakMap<EntityMetadata, Map<string, string>>();
function cached(metadata: EntityMetadata, key: string, build: () => string): string {
  let byKey = statements.get(metadata);
  if (!byKey) statements.set(metadata, (byKey = new Map()));
  let sql = byKey.get(key);
  if (!sql) byKey.set(key, (sql = build()));
  return sql;
}

function columnsOf(metadata: EntityMetadata, values: Record<string, unknown>): Array<{ property: string; column: string }> {
  return metadata.columns
    .filter((c) => values[c.propertyName] !== undefined)
    .map((c) => ({ property: c.propertyName, column: c.databaseName }));
}

/** A row that must exist for an INSERT to happen: the table's metadata and the key its properties must match. */
export interface InsertCondition {
  metadata: EntityMetadata;
  key: Record<string, unknown>;
}

/** A row of another table written by the same statement, if and only if the entity's row is (e.g. its outbox row). */
export interface CompanionRow {
  /** The table, as SQL (`schema.table`). */
  table: string;
  columns: readonly string[];
  values: readonly unknown[];
  /**
   * Checked by the statement against the row as stored: `state` (SQL over the row, alias
   * `"inserted"`; one per entity, as statements are cached per entity) must equal the jsonb at `path` of the companion's `column`.
   * When it does not, the statement fails (CompanionCheckFailed) and writes neither row.
   */
  check?: { column: string; path: readonly string[]; state: string };
}

/** Text of the error a companion check raises (a cast of it to int fails: 22P02). */
const CHECK_FAILED = 'herald: companion check failed';

/** The statement found the row as stored different from what its companion row says of it: nothing was written. */
export class CompanionCheckFailed extends Error {
  constructor(readonly table: string) {
    super(`the row of ${table} was stored differently from what its companion row says of it; nothing was written`);
    this.name = 'CompanionCheckFailed';
  }
}

function isCheckFailure(e: unknown): boolean {
  const driver = (e as { driverError?: { code?: unknown; message?: unknown } } | null)?.driverError;
  return driver?.code === '22P02' && typeof driver.message === 'string' && driver.message.includes(CHECK_FAILED);
}

export interface InsertOptions {
  /** Rows that must exist, checked in the same statement (`INSERT … SELECT … WHERE EXISTS (…)`). */
  conditions?: readonly InsertCondition[];
  /** Another row inserted by the same statement (a data-modifying `WITH`), only if this one is. */
  companion?: CompanionRow;
}

/**
 * INSERT the defined properties of `values` (the others take their defaults) and return the stored
 * row. With `conditions`, the row is inserted only if a row matching each condition's key exists,
 * in the same statement (no round trip of its own for a reference check); null when one does not.
 * With `companion`, that row is inserted by the same statement too, only if this one is.
 */
export async function insertReturning<T>(m: EntityManager, metadata: EntityMetadata, values: Record<string, unknown>): Promise<T>;
export async function insertReturning<T>(m: EntityManager, metadata: EntityMetadata, values: Record<string, unknown>, opts: InsertOptions): Promise<T | null>;
export async function insertReturning<T>(
  m: EntityManager,
  metadata: EntityMetadata,
  values: Record<string, unknown>,
  opts: InsertOptions = {},
): Promise<T | null> {
  const conditions = opts.conditions ?? [];
  const companion = opts.companion;
  const cols = columnsOf(metadata, values);
  const conditionCols = conditions.map((c) => columnsOf(c.metadata, c.key));
  const conditionsKey = conditions.map((c, i) => `${tableOf(c.metadata)}(${conditionCols[i].map((k) => k.column).join(',')})`).join(';');
  const check = companion?.check;
  // A check's state is one per entity (the statements are cached per entity): not part of the key.
  const companionKey = companion ? `${companion.table}(${companion.columns.join(',')})${check ? `?${check.column}#${check.path.join(',')}` : ''}` : '';
  const sql = cached(metadata, `insert:${cols.map((c) => c.column).join(',')}:${conditionsKey}:${companionKey}`, () => {
    const names = cols.map((c) => quote(c.column)).join(', ');
    const params = cols.map((_, i) => `$${i + 1}`).join(', ');
    let n = cols.length;
    const exists = conditions.map(
      (c, i) => `EXISTS (SELECT 1 FROM ${tableOf(c.metadata)} WHERE ${conditionCols[i].map((k) => `${quote(k.column)} = $${++n}`).join(' AND ')})`,
    );
    const insert = exists.length
      ? `INSERT INTO ${tableOf(metadata)} (${names}) SELECT ${params} WHERE ${exists.join(' AND ')} RETURNING *`
      : `INSERT INTO ${tableOf(metadata)} (${names}) VALUES (${params}) RETURNING *`;
    if (!companion) return insert;
    const first = n + 1;
    const companionParams = companion.columns.map(() => `$${++n}`).join(', ');
    let where = '';
    if (check) {
      const i = companion.columns.indexOf(check.column);
      if (i < 0) throw new Error(`the companion row has no column ${check.column}`);
      if (!check.path.every((p) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) throw new Error(`not a plain jsonb path: ${check.path.join('.')}`);
      // A failed check must fail the statement (not merely skip the companion row): an error, raised
      // by a cast only evaluated when the check fails.
      where = ` WHERE (CASE WHEN (${check.state}) = ($${first + i}::jsonb #> '{${check.path.join(',')}}') THEN NULL ELSE '${CHECK_FAILED}' END)::int IS NULL`;
    }
    return (
      `WITH "inserted" AS (${insert}), "companion" AS (INSERT INTO ${companion.table} (${companion.columns.map(quote).join(', ')}) ` +
      `SELECT ${companionParams} FROM "inserted"${where}) SELECT * FROM "inserted"`
    );
  });
  const rows = (await m.query(sql, [
    ...cols.map((c) => parameter(metadata, c.property, values[c.property])),
    ...conditions.flatMap((c, i) => conditionCols[i].map((k) => parameter(c.metadata, k.property, c.key[k.property]))),
    ...(companion?.values ?? []),
  ]).catch((e: unknown) => {
    throw isCheckFailure(e) ? new CompanionCheckFailed(tableOf(metadata)) : e;
  })) as Array<Record<string, unknown>>;
  return rows.length ? entityFromRow<T>(metadata, rows[0]) : null;
}

/** UPDATE the defined properties of `values` where every `key` property matches; the stored row, or null if none matched. */
export async function updateReturning<T>(
  m: EntityManager,
  metadata: EntityMetadata,
  key: Record<string, unknown>,
  values: Record<string, unknown>,
): Promise<T | null> {
  const keyCols = columnsOf(metadata, key);
  const setCols = columnsOf(metadata, values).filter((c) => !(c.property in key));
  const sql = cached(metadata, `update:${keyCols.map((c) => c.column).join(',')}:${setCols.map((c) => c.column).join(',')}`, () => {
    const set = setCols.map((c, i) => `${quote(c.column)} = $${i + 1}`).join(', ');
    const where = keyCols.map((c, i) => `${quote(c.column)} = $${setCols.length + i + 1}`).join(' AND ');
    return `UPDATE ${tableOf(metadata)} SET ${set} WHERE ${where} RETURNING *`;
  });
  const params = [
    ...setCols.map((c) => parameter(metadata, c.property, values[c.property])),
    ...keyCols.map((c) => parameter(metadata, c.property, key[c.property])),
  ];
  // TypeORM's query() of an UPDATE answers [rows, affected count].
  const result = (await m.query(sql, params)) as [Array<Record<string, unknown>>, number] | Array<Record<string, unknown>>;
  const rows = Array.isArray(result[0]) ? (result[0] as Array<Record<string, unknown>>) : (result as Array<Record<string, unknown>>);
  return rows.length ? entityFromRow<T>(metadata, rows[0]) : null;
}

/** SELECT the row whose `key` properties match (optionally FOR UPDATE), or null. */
export async function selectOne<T>(m: EntityManager, metadata: EntityMetadata, key: Record<string, unknown>, opts: { forUpdate?: boolean } = {}): Promise<T | null> {
  const keyCols = columnsOf(metadata, key);
  const sql = cached(metadata, `select:${keyCols.map((c) => c.column).join(',')}:${opts.forUpdate ? 'lock' : ''}`, () => {
    const where = keyCols.map((c, i) => `${quote(c.column)} = $${i + 1}`).join(' AND ');
    return `SELECT * FROM ${tableOf(metadata)} WHERE ${where}${opts.forUpdate ? ' FOR UPDATE' : ''}`;
  });
  const rows = (await m.query(sql, keyCols.map((c) => parameter(metadata, c.property, key[c.property])))) as Array<Record<string, unknown>>;
  return rows.length ? entityFromRow<T>(metadata, rows[0]) : null;
}

/** Whether a row whose `key` properties match exists. */
export async function rowExists(m: EntityManager, metadata: EntityMetadata, key: Record<string, unknown>): Promise<boolean> {
  const keyCols = columnsOf(metadata, key);
  const sql = cached(metadata, `exists:${keyCols.map((c) => c.column).join(',')}`, () => {
    const where = keyCols.map((c, i) => `${quote(c.column)} = $${i + 1}`).join(' AND ');
    return `SELECT 1 FROM ${tableOf(metadata)} WHERE ${where} LIMIT 1`;
  });
  const rows = (await m.query(sql, keyCols.map((c) => parameter(metadata, c.property, key[c.property])))) as unknown[];
  return rows.length > 0;
}
