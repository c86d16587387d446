import { ProProfsHttpError } from './proprofs-errors';

/** A request as Express hands it over: a body the parser may have read, else the raw stream. */
export interface RawRequest extends AsyncIterable<Buffer> {
  body?: unknown;
  readableEnded?: boolean;
}

/** Bodies larger than this are refused (400, as ProProfs answers bad field data). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The body as JSON whatever its content type: ProProfs' own curl example sends
 * `-H Content-Type: application/json` unquoted, so curl sends the JSON form-encoded.
 */
export async function jsonBodyOf(req: RawRequest): Promise<unknown> {
  if (req.body !== undefined && req.body !== null && !(typeof req.body === 'object' && Object.keys(req.body).length === 0)) return req.body;
  if (req.readableEnded) return req.body ?? {};
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ProProfsHttpError(400, 'body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProProfsHttpError(400, 'the body is not JSON');
  }
}
