import { z } from 'zod';

/**
 * Text that PostgreSQL (`text`, `jsonb`) and Kafka carry as it was given: no NUL character
 * (PostgreSQL refuses it in both) and no unpaired UTF-16 surrogate (it has no UTF-8 encoding, so
 * it would be stored as U+FFFD).
 */
// eslint-disable-next-line no-control-regex -- NUL is the character this pattern is about
export const SAFE_TEXT_PATTERN = /^[^\u0000\uD800-\uDFFF]*$/u;
/**
 * What the OpenAPI document says of it: no NUL. An unpaired surrogate is not a Unicode string at
 * all (JSON Schema validators, e.g. Rust's regex engine, cannot even name one in a pattern).
 */
// eslint-disable-next-line no-control-regex -- NUL is the character this pattern is about
const NO_NUL_PATTERN = /^[^\u0000]*$/;
/** With the `u` flag a surrogate pair is one code point outside this range: only an unpaired one matches. */
const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/u;
export const SAFE_TEXT_MESSAGE = 'must not contain NUL (U+0000) characters or unpaired UTF-16 surrogates';

/**
 * Some character that String.prototype.trim keeps: a name must have one. Spelled out rather
 * than `\S` so that every regex dialect reading the OpenAPI document agrees with JavaScript.
 */
const NOT_BLANK_PATTERN = /[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/u;

/** Characters as JSON Schema's maxLength counts them: code points, not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export interface SafeTextOptions {
  /** At least one character String.prototype.trim keeps (e.g. a name). */
  notBlank?: boolean;
  /** Store it without leading and trailing white space (checked as given, then trimmed). */
  trim?: boolean;
}

/**
 * A text field: at most `max` characters (code points, as in the OpenAPI document), no NUL, no
 * unpaired surrogate, optionally not blank and trimmed. Every text the domain stores is one.
 */
export function safeText(max: number, opts: SafeTextOptions = {}) {
  let s = z
    .string()
    .regex(NO_NUL_PATTERN, SAFE_TEXT_MESSAGE)
    .refine((v) => !UNPAIRED_SURROGATE.test(v), { message: SAFE_TEXT_MESSAGE })
    .refine((v) => v.length <= max || codePointLength(v) <= max, { message: `must be at most ${max} characters` });
  if (opts.notBlank) s = s.regex(NOT_BLANK_PATTERN, 'must not be empty');
  if (opts.trim) s = s.trim();
  return s.meta({ maxLength: max });
}
