// No imports: tracing.ts loads this before anything else (it must patch http first).

/**
 * Query parameters that carry a credential, whose values never reach a log line or a span:
 * Worksection's admin `hash` (md5 of the query and the account's admin key: enough to replay the
 * call) and `http_pass` (a hook's basic-auth password), and the usual names of keys and tokens.
 * Matched case-insensitively.
 */
export const SECRET_QUERY_PARAMS: readonly string[] = ['hash', 'http_pass', 'password', 'pass', 'key', 'api_key', 'apikey', 'token', 'access_token', 'secret', 'signature', 'sig'];
const SECRET_PARAM = new Set(SECRET_QUERY_PARAMS);
export const REDACTED = '[redacted]';

/** A request URL with the value of every parameter of `SECRET_QUERY_PARAMS` replaced by `[redacted]` (the rest as it came). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const redacted = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const raw = eq < 0 ? part : part.slice(0, eq);
      let name = raw;
      try {
        name = decodeURIComponent(raw.replace(/\+/g, ' '));
      } catch {
        // a malformed escape: the name as it came
      }
      return SECRET_PARAM.has(name.trim().toLowerCase()) ? `${raw}=${REDACTED}` : part;
    });
  return `${url.slice(0, q)}?${redacted.join('&')}`;
}
