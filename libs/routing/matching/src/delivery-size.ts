import { gzipSync } from 'node:zlib';
import type { Delivery, DeliveryOutcome } from '@herald/contracts';

/**
 * How large a delivery may be. Every Kafka message that carries it — the delivery, its `queued`
 * outcome (the body again, for the log), its retry-tier copies, its dead letter — must fit the
 * broker's `max.message.bytes` (1 MiB by default) AS THE BROKER RECEIVES IT: compressed, when
 * the services compress (`HERALD_KAFKA_COMPRESSION`, gzip by default, the same for every
 * producer), else as it is. `maxBytes` leaves room below the broker's limit for the headers a
 * dead letter adds (at most a few KB).
 */
export interface DeliverySizeCap {
  maxBytes: number;
  compression: 'gzip' | 'none';
}

/** The router's default: 1,000,000 bytes, 48 KB under the broker's default 1,048,588. */
export const DEFAULT_MAX_DELIVERY_BYTES = 1_000_000;

/** Keys, headers (trace, schema, due time, a dead letter's reasons) and the record's own fields. */
const ENVELOPE_BYTES = 8_192;
/** The most one UTF-16 code unit of a string can take once JSON-encoded as UTF-8 (`\u001f`). */
const MAX_BYTES_PER_UNIT = 6;

export interface MeasuredSize {
  /** Bytes the broker would receive for the larger of the delivery and its queued outcome. */
  bytes: number;
  fits: boolean;
}

/**
 * What the larger of a delivery's messages (the delivery, its queued outcome) weighs for the
 * broker. Cheap for what is obviously small (an upper bound from string lengths: no encoding);
 * only a delivery that could be near the cap is encoded, and compressed when the services
 * compress. Never smaller than the truth for the messages Herald produces from it.
 */
export function measureDelivery(delivery: Delivery, queued: DeliveryOutcome, cap: DeliverySizeCap): MeasuredSize {
  const bound = MAX_BYTES_PER_UNIT * stringUnits(delivery) + ENVELOPE_BYTES;
  if (bound <= cap.maxBytes) return { bytes: bound, fits: true };
  const bytes = Math.max(encodedBytes(delivery, cap), encodedBytes(queued, cap));
  return { bytes, fits: bytes <= cap.maxBytes };
}

function encodedBytes(value: object, cap: DeliverySizeCap): number {
  const json = JSON.stringify(value);
  const raw = Buffer.byteLength(json);
  if (cap.compression === 'none' || raw + ENVELOPE_BYTES <= cap.maxBytes) return raw + ENVELOPE_BYTES;
  return gzipSync(json).length + ENVELOPE_BYTES;
}

/** UTF-16 code units of every string in a delivery (its body, ids and headers), and a little for the rest. */
function stringUnits(d: Delivery): number {
  let units = 512;
  for (const v of Object.values(d)) {
    if (typeof v === 'string') units += v.length + 32;
  }
  for (const [k, v] of Object.entries(d.headers ?? {})) units += k.length + v.length + 8;
  return units;
}
