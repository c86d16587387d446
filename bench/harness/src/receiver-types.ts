/** How a receiver answers: each dialect's receiver contract. */
export type ReceiverContract = 'native' | 'proprofs' | 'worksection' | 'procore' | 'ppm';

export interface ReceiverSpec {
  /** The hook's name in the run (`native-all`, `procore`, …). */
  name: string;
  contract: ReceiverContract;
  /** Keep `type|resourceId|name` of each arrival (native, Worksection, ProProfs bodies). */
  recordTags?: boolean;
  /** Answer 503 to the first attempt of this share of deliveries (chosen by webhook-id). */
  failFirstAttemptRatio?: number;
  /** A header every delivery must carry (e.g. PPM Express' configured headers); else 503. */
  requireHeader?: { name: string; value: string };
}

/** One request a receiver got: its webhook-id, ms since the receivers started, success or not. */
export interface Arrival {
  id: string;
  t: number;
  ok: boolean;
  tag?: string;
}

export type ReceiverCommand =
  | { cmd: 'start'; specs: ReceiverSpec[] }
  | { cmd: 'refuse'; name: string; ms: number }
  | { cmd: 'counts' }
  | { cmd: 'dump'; file: string }
  | { cmd: 'stop' };

export type ReceiverReply =
  | { cmd: 'started'; ports: Record<string, number>; t0: number }
  | { cmd: 'refusing'; name: string }
  | { cmd: 'accepting'; name: string }
  | { cmd: 'counts'; counts: Record<string, { arrivals: number; succeeded: number }> }
  | { cmd: 'dumped'; file: string }
  | { cmd: 'stopped' }
  | { cmd: 'error'; message: string };
