import type { KafkaMessage } from 'kafkajs';
import { describeIssues, type MessageContract } from '@herald/contracts';

export type Decoded<T> =
  | { kind: 'value'; key: string; value: T }
  | { kind: 'tombstone'; key: string }
  | { kind: 'invalid'; key: string; reason: string };

/** Turns a raw Kafka message into a validated contract value, a tombstone, or a reason it is invalid. */
export function decodeMessage<T>(contract: MessageContract<T>, message: Pick<KafkaMessage, 'key' | 'value'>): Decoded<T> {
  const key = message.key?.toString('utf8') ?? '';
  if (message.value === null || message.value.length === 0) {
    return contract.tombstones ? { kind: 'tombstone', key } : { kind: 'invalid', key, reason: 'empty value' };
  }
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString('utf8'));
  } catch (e) {
    return { kind: 'invalid', key, reason: `not JSON: ${(e as Error).message}` };
  }
  const parsed = contract.schema.safeParse(json);
  if (!parsed.success) {
    return { kind: 'invalid', key, reason: `${contract.type}/${contract.version} schema: ${describeIssues(parsed.error, '(root)', 5)}` };
  }
  return { kind: 'value', key, value: parsed.data };
}

/** kafkajs headers (Buffer | string | arrays) as plain strings. */
export function headersOf(message: Pick<KafkaMessage, 'headers'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(message.headers ?? {})) {
    const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (v !== undefined && v !== null) out[name] = v.toString();
  }
  return out;
}
