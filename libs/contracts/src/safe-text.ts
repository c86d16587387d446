/**
 * Text that came from outside Herald (a receiver's answer, an error message, a header value)
 * made safe for every place a Herald message's text ends up: PostgreSQL `text` and `jsonb`,
 * Kafka headers, JSON.
 *
 * - U+0000 (NUL) becomes U+FFFD: PostgreSQL refuses NUL in `text`, and `\u0000` in `jsonb`
 *   ("unsupported Unicode escape sequence"), which made one receiver's answer stop the
 *   registry's outcome consumer for every tenant;
 * - a lone UTF-16 surrogate (half of a pair, e.g. left by cutting a string in the middle of an
 *   emoji) becomes U+FFFD: `JSON.stringify` writes it as `\udXXX`, which `jsonb` refuses too;
 * - invalid UTF-8 never gets this far: bytes are decoded with `safeTextFromBytes` (or
 *   `Buffer#toString('utf8')`), which turns each invalid sequence into U+FFFD.
 *
 * U+FFFD (the replacement character) is what a UTF-8 decoder shows for what it could not read,
 * so a reader of the delivery log sees where something was replaced. Every other character,
 * control characters included, is kept.
 */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/** NUL, or a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The text with NUL and lone surrogates replaced by U+FFFD (see above); the same string when there are none. */
export function safeText(text: string): string {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text) ? text.replace(UNSAFE, REPLACEMENT_CHARACTER) : text;
}

/** `safeText` for an optional value. */
export function safeTextOrNull(text: string | null | undefined): string | null {
  return text === null || text === undefined ? null : safeText(text);
}

/** Bytes as safe text: UTF-8 decoded (invalid sequences become U+FFFD), then `safeText`. */
export function safeTextFromBytes(bytes: Uint8Array): string {
  return safeText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
}

/**
 * At most `maxChars` UTF-16 code units of `safeText(text)`, never cutting a surrogate pair in
 * two (`String#slice` can, which leaves a lone surrogate behind).
 */
export function safeTruncate(text: string, maxChars: number): string {
  const safe = safeText(text);
  if (safe.length <= maxChars) return safe;
  let end = Math.max(0, maxChars);
  // Cutting between a high and a low surrogate would leave the high one alone: cut before it.
  if (end > 0 && isHighSurrogate(safe.charCodeAt(end - 1))) end--;
  return safe.slice(0, end);
}

/**
 * A `JSON.stringify` replacer that passes every string through `safeText`: what a writer hands
 * PostgreSQL as `jsonb` (or `jsonb_to_recordset`) then holds no escape `jsonb` refuses.
 */
export function safeJsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? safeText(value) : value;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
