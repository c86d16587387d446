import type { KafkaMessage } from 'kafkajs';
import { Headers } from '@herald/contracts';

function numericHeader(message: Pick<KafkaMessage, 'headers'>, name: string): number | null {
  const raw = message.headers?.[name];
  const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (v === undefined || v === null) return null;
  const n = Number(v.toString());
  return Number.isFinite(n) ? n : null;
}

/** The due time a tier message carries (`Headers.DueAt`, epoch ms); null when absent or unreadable (due now). */
export function dueAtOf(message: Pick<KafkaMessage, 'headers'>): number | null {
  return numericHeader(message, Headers.DueAt);
}

/**
 * When a tier message written now, due at `dueAt`, is handed over by a tier of `tierDelayMs`:
 * when it is due, or after the tier's delay if that comes first (it then hops on).
 */
export function releaseFor(dueAt: number, tierDelayMs: number, now = Date.now()): number {
  return Math.min(dueAt, now + tierDelayMs);
}

/**
 * When a tier of `tierDelayMs` hands this message over: its `herald-release-at`; for a message
 * written before that header existed, its due time but never later than the tier's delay after
 * its broker timestamp. Never more than `tierDelayMs` after it was written, so no message holds
 * a tier partition longer than the tier's own delay. Null: now.
 */
export function releaseAtOf(message: Pick<KafkaMessage, 'headers' | 'timestamp'>, tierDelayMs: number): number | null {
  const written = Number(message.timestamp);
  const bound = Number.isFinite(written) && written > 0 ? written + tierDelayMs : null;
  const release = numericHeader(message, Headers.ReleaseAt) ?? dueAtOf(message);
  if (release === null) return null;
  return bound === null ? release : Math.min(release, bound);
}
