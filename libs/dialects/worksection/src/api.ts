import { createHash, timingSafeEqual } from 'node:crypto';

/** Worksection's error codes (the envelope's `status_code`). */
export const WorksectionErrorCode = {
  /** Unknown or missing `action`. */
  InvalidAction: 1,
  /** `hash` missing or not md5(query + admin API key); or a bad/insufficient Bearer token. */
  InvalidHash: 2,
  /** A required parameter is missing. */
  MissingParameter: 3,
  /** A parameter has a value Worksection does not know (e.g. an unknown event). */
  InvalidParameter: 4,
  /** No webhook with that id. */
  NotFound: 5,
  /** The URL did not answer 200 with JSON {"status":"OK"} within 5 s. */
  UrlCheckFailed: 11,
} as const;

export interface WorksectionError {
  status: 'error';
  status_code: number;
  message: string;
  message_details?: string;
}

export function worksectionError(code: number, message: string, details?: string): WorksectionError {
  return details === undefined ? { status: 'error', status_code: code, message } : { status: 'error', status_code: code, message, message_details: details };
}

export const URL_CHECK_MESSAGE = 'Url should respond 200 HTTP_CODE and JSON {status:OK}';

/**
 * The query string the hash covers: the raw query as sent, without its `hash` parameter
 * (`action=get_webhooks&hash=…` → `action=get_webhooks`).
 */
export function queryWithoutHash(rawQuery: string): string {
  return rawQuery
    .replace(/^\?/, '')
    .split('&')
    .filter((p) => p !== '' && !/^hash(=|$)/i.test(p))
    .join('&');
}

/** md5(<query string without hash> + <admin api key>), hex. */
export function adminHash(rawQuery: string, adminKey: string): string {
  return createHash('md5').update(queryWithoutHash(rawQuery) + adminKey, 'utf8').digest('hex');
}

/** Constant-time check of a request's `hash` against the tenant's admin API key. */
export function hashMatches(rawQuery: string, adminKey: string, given: string): boolean {
  const expected = Buffer.from(adminHash(rawQuery, adminKey), 'utf8');
  const actual = Buffer.from(given.toLowerCase(), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** `a,b, c` → ['a','b','c'] (empty entries dropped). */
export function commaList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A get_webhooks entry: ids are strings there; `projects` only when the hook is limited to some. */
export interface WorksectionHookView {
  id: string;
  url: string;
  events: string;
  status: 'disabled' | 'active' | 'active_with_failures';
  projects?: string;
}
