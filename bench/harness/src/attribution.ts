import type { Arrival } from './receiver-types';

export type Layer = 'relay' | 'harness' | 'router' | 'dispatcher';

export interface FaultEvent {
  /** Epoch ms. */
  at: number;
  kind: 'kill' | 'kafka-kill' | 'kafka-term' | 'postgres-restart' | 'refuse';
  /** The instance (`event-router#2`), or the hook whose receiver refused. */
  target: string;
  /** Until it answered /health/ready again (kills), or the downtime (infrastructure). */
  recoveredAfterMs?: number;
}

export interface Attribution {
  byLayer: Record<Layer, number>;
  /** `<layer> after <fault kind> <target>` → duplicates whose second arrival followed that fault. */
  byFault: Record<string, number>;
}

/** Which faults can make each layer re-do work. */
const CAUSES: Record<Layer, (f: FaultEvent) => boolean> = {
  relay: (f) => (f.kind === 'kill' && f.target.startsWith('domain-api')) || f.kind.startsWith('kafka') || f.kind === 'postgres-restart',
  harness: (f) => f.kind.startsWith('kafka'),
  router: (f) => (f.kind === 'kill' && f.target.startsWith('event-router')) || f.kind.startsWith('kafka'),
  dispatcher: (f) => (f.kind === 'kill' && f.target.startsWith('delivery-dispatcher')) || f.kind.startsWith('kafka'),
};

/**
 * Where each duplicate was made. For a (hook, event id) that arrived successfully n > 1 times:
 * copies of the event on resource-changes beyond the first were re-published (the outbox relay,
 * or the harness's own re-send after a failed send); copies of the (subscription, event)
 * delivery on herald.deliveries.v1 beyond those were re-produced by the router; arrivals beyond
 * the deliveries' copies were re-sent by the dispatcher. Each is then tied to the last fault
 * before its second arrival that can make that layer re-do work.
 */
export function attributeDuplicates(input: {
  arrivals: Record<string, Arrival[]>;
  /** Epoch ms of Arrival.t = 0. */
  t0: number;
  subscriptionOf: Record<string, string>;
  resourceChangeCopies: ReadonlyMap<string, number>;
  deliveryCopies: ReadonlyMap<string, number>;
  harnessResent: ReadonlySet<string>;
  faults: readonly FaultEvent[];
}): Attribution {
  const byLayer: Record<Layer, number> = { relay: 0, harness: 0, router: 0, dispatcher: 0 };
  const byFault: Record<string, number> = {};
  const faults = [...input.faults].sort((a, b) => a.at - b.at);
  const blame = (layer: Layer, n: number, at: number) => {
    if (n <= 0) return;
    byLayer[layer] += n;
    let cause: FaultEvent | undefined;
    for (const f of faults) {
      if (f.at > at) break;
      if (CAUSES[layer](f)) cause = f;
    }
    const key = cause ? `${layer} after ${cause.kind} ${cause.target}` : `${layer} (no fault before it)`;
    byFault[key] = (byFault[key] ?? 0) + n;
  };
  for (const [hook, list] of Object.entries(input.arrivals)) {
    const times = new Map<string, number[]>();
    for (const a of list) {
      if (!a.ok) continue;
      let t = times.get(a.id);
      if (!t) times.set(a.id, (t = []));
      t.push(input.t0 + a.t);
    }
    const sub = input.subscriptionOf[hook];
    for (const [id, t] of times) {
      if (t.length < 2) continue;
      let extra = t.length - 1;
      const second = t[1];
      const rcCopies = input.resourceChangeCopies.get(id) ?? 1;
      const republished = Math.min(extra, rcCopies - 1);
      blame(input.harnessResent.has(id) ? 'harness' : 'relay', republished, second);
      extra -= republished;
      const dCopies = input.deliveryCopies.get(`${sub}|${id}`) ?? 1;
      const reproduced = Math.min(extra, Math.max(0, dCopies - rcCopies));
      blame('router', reproduced, second);
      extra -= reproduced;
      blame('dispatcher', extra, second);
    }
  }
  return { byLayer, byFault };
}
