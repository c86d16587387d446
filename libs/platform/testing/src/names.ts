import { randomBytes } from 'node:crypto';

/** Lower-case letters and digits, of `length` characters (random, for unique names). */
export function randomSuffix(length = 8): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}

/**
 * A label reduced to lower-case letters, digits and `separator` (runs of anything else become
 * one separator), trimmed of separators, at most `maxLength` characters; 'x' if nothing is left.
 */
export function sanitizeLabel(label: string, maxLength: number, separator: '_' | '-'): string {
  const cleaned = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, separator)
    .slice(0, maxLength)
    .replace(separator === '_' ? /^_+|_+$/g : /^-+|-+$/g, '');
  return cleaned || 'x';
}

/** PostgreSQL identifiers are at most 63 bytes. */
const MAX_IDENTIFIER = 63;

/** `t_<label>_<suffix>`: a valid unquoted PostgreSQL identifier of at most 63 characters. */
export function testDatabaseName(label: string, suffix: string = randomSuffix()): string {
  const room = MAX_IDENTIFIER - 't__'.length - suffix.length;
  return `t_${sanitizeLabel(label, room, '_')}_${suffix}`;
}

/**
 * `t-<label>-<suffix>`, at most 40 characters, so that `<namespace>.<topic>` stays well within
 * Kafka's 249-character topic names and HERALD_KAFKA_NAMESPACE's 60 (letters, digits, . _ -).
 */
export function kafkaNamespaceName(label: string, suffix: string = randomSuffix()): string {
  const room = 40 - 't--'.length - suffix.length;
  return `t-${sanitizeLabel(label, room, '-')}-${suffix}`;
}

/** `baseUrl` with its database (the URL path) replaced by `database`. */
export function databaseUrlFor(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
