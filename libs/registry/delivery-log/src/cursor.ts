/**
 * Keyset cursor over (created_at DESC, delivery_id DESC). `createdAt` keeps Postgres'
 * microseconds as text, so no row is skipped or repeated at a page boundary.
 */
export interface DeliveryCursor {
  createdAt: string;
  deliveryId: string;
}

export class InvalidCursorError extends Error {}

export function encodeCursor(c: DeliveryCursor): string {
  return Buffer.from(`${c.createdAt}|${c.deliveryId}`, 'utf8').toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(raw: string): DeliveryCursor {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const [createdAt, deliveryId, ...rest] = text.split('|');
  if (
    rest.length ||
    !deliveryId ||
    !UUID.test(deliveryId) ||
    Number.isNaN(Date.parse(createdAt ?? ''))
  ) {
    throw new InvalidCursorError('cursor is not one this API returned');
  }
  return { createdAt, deliveryId };
}
