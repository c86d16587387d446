import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the receiver gets
 * `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated
 * list of `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per active secret — which is
 * how a rotated secret keeps working beside the new one for a while.
 */
export const WebhookHeaders = {
  Id: 'webhook-id',
  Timestamp: 'webhook-timestamp',
  Signature: 'webhook-signature',
} as const;

export const SIGNING_SECRET_PREFIX = 'whsec_';

/** Bytes of key material in a generated secret (Standard Webhooks recommends 24 to 64). */
const GENERATED_SECRET_BYTES = 32;

/** A new signing secret, `whsec_<base64 of 32 random bytes>`. */
export function generateSigningSecret(bytes: number = GENERATED_SECRET_BYTES): string {
  if (bytes < 24 || bytes > 64) throw new Error(`a signing secret has 24 to 64 bytes, not ${bytes}`);
  return `${SIGNING_SECRET_PREFIX}${randomBytes(bytes).toString('base64')}`;
}

/** The HMAC key of a `whsec_<base64>` secret (the prefix is optional, as in the official libraries). */
export function signingKeyOf(secret: string): Buffer {
  const b64 = secret.startsWith(SIGNING_SECRET_PREFIX) ? secret.slice(SIGNING_SECRET_PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error('a signing secret is whsec_ followed by base64');
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new Error('a signing secret must not be empty');
  return key;
}

/** Unix seconds, from a Date or from a number that already is unix seconds. */
export function toUnixSeconds(timestamp: Date | number): number {
  return typeof timestamp === 'number' ? Math.floor(timestamp) : Math.floor(timestamp.getTime() / 1000);
}

/** One `v1,<base64>` signature of `id.timestamp.body` under one secret. */
export function signPayload(secret: string, id: string, timestamp: Date | number, body: string | Buffer): string {
  const mac = createHmac('sha256', signingKeyOf(secret))
    .update(`${id}.${toUnixSeconds(timestamp)}.`, 'utf8')
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('base64');
  return `v1,${mac}`;
}

export interface SigningInput {
  /** `webhook-id`: the event id, stable across retries so a receiver can de-duplicate. */
  id: string;
  /** The attempt's time (Date, or unix seconds); default now. */
  timestamp?: Date | number;
  /** Every active secret (current first); each adds one `v1,` signature. */
  secrets: readonly string[];
}

export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three Standard Webhooks headers for a body. */
export function signatureHeaders(input: SigningInput, body: string | Buffer): SignatureHeaders {
  if (input.secrets.length === 0) throw new Error('at least one signing secret is needed');
  const ts = toUnixSeconds(input.timestamp ?? new Date());
  return {
    [WebhookHeaders.Id]: input.id,
    [WebhookHeaders.Timestamp]: String(ts),
    [WebhookHeaders.Signature]: input.secrets.map((s) => signPayload(s, input.id, ts, body)).join(' '),
  };
}

export class SignatureVerificationError extends Error {}

/**
 * Receiver-side check (for our own tests and tools; receivers use their Standard Webhooks
 * library): one of the `v1,` signatures must match the secret, and the timestamp must be
 * within `toleranceSec` of now.
 */
export function verifySignature(
  secret: string,
  headers: Record<string, string | undefined>,
  body: string | Buffer,
  opts: { toleranceSec?: number; now?: Date } = {},
): void {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const id = lower[WebhookHeaders.Id];
  const ts = lower[WebhookHeaders.Timestamp];
  const sigs = lower[WebhookHeaders.Signature];
  if (!id || !ts || !sigs) throw new SignatureVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  const seconds = Number.parseInt(ts, 10);
  if (!Number.isFinite(seconds)) throw new SignatureVerificationError('webhook-timestamp is not a number');
  const now = toUnixSeconds(opts.now ?? new Date());
  if (Math.abs(now - seconds) > (opts.toleranceSec ?? 300)) throw new SignatureVerificationError('webhook-timestamp out of tolerance');
  const expected = Buffer.from(signPayload(secret, id, seconds, body).slice(3), 'utf8');
  for (const candidate of sigs.split(' ')) {
    const [version, sig] = candidate.split(',', 2);
    if (version !== 'v1' || !sig) continue;
    const given = Buffer.from(sig, 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return;
  }
  throw new SignatureVerificationError('no matching signature');
}
