/**
 * Keyset cursor over (created_at DESC, delivery_id DESC): `<created_at in microseconds since the
 * Unix epoch>_<delivery id>`, e.g. `1796612400123456_0d11d333-3245-4f01-b604-70708ddb380f`.
 * Microseconds keep PostgreSQL's precision, so no row is skipped or repeated at a page boundary;
 * and every string of this shape (DELIVERY_CURSOR_PATTERN, which the OpenAPI document gives) is a
 * position PostgreSQL can compare with, so a cursor the document allows is never refused, and
 * one it does not allow never reaches the database.
 */
export interface DeliveryCursor {
  /** Digits: microseconds since 1970-01-01T00:00:00Z. */
  epochMicros: string;
  deliveryId: string;
}

export class InvalidCursorError extends Error {}

export const DELIVERY_CURSOR_PATTERN =
  /^[0-9]{1,16}_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function encodeCursor(c: DeliveryCursor): string {
  return `${c.epochMicros}_${c.deliveryId}`;
}

export function decodeCursor(raw: string): DeliveryCursor {
  if (!DELIVERY_CURSOR_PATTERN.test(raw)) {
    throw new InvalidCursorError('cursor is not one this API returns (nextCursor: <microseconds>_<delivery id>)');
  }
  const [micros, deliveryId] = raw.split('_');
  return { epochMicros: BigInt(micros).toString(), deliveryId: deliveryId.toLowerCase() };
}

const LEGACY_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.([0-9]{6})Z$/;

/**
 * A replay job's saved position: the cursor above, or (a job saved before it) the former
 * base64url of `<ISO time with microseconds>|<delivery id>`, so such a job resumes where it was.
 */
export function decodePosition(raw: string): DeliveryCursor {
  if (DELIVERY_CURSOR_PATTERN.test(raw)) return decodeCursor(raw);
  const [time, deliveryId, ...rest] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const m = LEGACY_TIME.exec(time ?? '');
  const ms = m ? Date.parse(`${time.slice(0, 23)}Z`) : NaN;
  if (rest.length || !m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 23) !== time.slice(0, 23)) {
    throw new InvalidCursorError('not a delivery position');
  }
  return decodeCursor(`${BigInt(ms) * 1000n + BigInt(m[1].slice(3))}_${deliveryId}`);
}

/** SQL column: a row's created_at as the cursor's microseconds (exact: extract gives numeric). */
export const CURSOR_MICROS_SQL = `(extract(epoch FROM created_at) * 1000000)::bigint::text`;

/** SQL for the timestamptz a cursor's microseconds name (`p`: a parameter), exact to the microsecond. */
export const cursorTimeSql = (p: string) =>
  `(timestamptz 'epoch' + (${p}::bigint / 1000000) * interval '1 second' + (${p}::bigint % 1000000) * interval '1 microsecond')`;
