import type { ChangeRecord } from './load';
import type { Arrival } from './receiver-types';
import type { ChangeFacts } from './scenario';

export interface LedgerHook {
  name: string;
  ordered: boolean;
  matches(c: ChangeFacts): boolean;
}

/** What each hook is due: as many deliveries as the committed changes it matches. */
export function deliveriesDue(changes: readonly ChangeRecord[], hooks: readonly LedgerHook[]): Record<string, number> {
  const committed = changes.filter((c) => c.committedAt !== undefined);
  return Object.fromEntries(hooks.map((h) => [h.name, committed.filter((c) => h.matches(c)).length]));
}

export interface HookLedger {
  hook: string;
  /** Committed changes this hook's rule matches. */
  expected: number;
  /** Of those, answered as a success by the receiver at least once. */
  delivered: number;
  /** Successful arrivals beyond the first, by (hook, webhook-id). */
  duplicates: number;
  /** Expected, not delivered, and in herald.deliveries.dlq. */
  inDlq: number;
  missing: number;
  /** Ordered hooks: first arrivals of a resource's change that came after a later change of it. */
  orderViolations: number;
  /** Successful arrivals of ids that are not an expected change of this hook (nor the set-up's). */
  unexpected: number;
  /** Arrivals of the set-up's own events (`setupResourceIds`: e.g. its projects' `project.created`). */
  setupArrivals: number;
  /** Some of them: `id` and the tag a receiver recorded for it (`type|resourceId|name`), if any (for the report). */
  unexpectedSample: string[];
  /** Arrivals answered as a failure (injected), i.e. retried attempts seen by the receiver. */
  failedArrivals: number;
  /** Some expected change keys that are missing (for the report). */
  missingSample: string[];
}

export interface Ledger {
  /** The run's planned changes that committed (not the tasks the harness created twice). */
  changesCommitted: number;
  changesBySource: Record<string, number>;
  /**
   * Tasks the harness created twice (ApiLoad.reconcile; `sentTwice`): the harness's doing, not
   * Herald's. Each is a committed `created` change, so it is in the hooks' expected deliveries.
   */
  sentTwiceByHarness: number;
  /** API requests whose outcome was unknown and was resolved by reading the task back. */
  ambiguousResolved: number;
  deliveriesExpected: number;
  delivered: number;
  duplicates: number;
  duplicateRate: number;
  inDlq: number;
  missing: number;
  orderViolations: number;
  unexpected: number;
  /** Arrivals of the set-up's own events (`setupResourceIds`), at any hook: not Herald's unexpected deliveries. */
  setupArrivals: number;
  /** API changes whose event id no receiver revealed (each is missing on every hook it matches). */
  unmappedChanges: number;
  /** Event ids that two receivers tied to different changes (must be 0). */
  inconsistentIds: number;
  hooks: HookLedger[];
}

/** The change key a receiver's tag names: `type|resourceId|name` (native), `action|resourceId|name` (Worksection), `new|resourceId|` (ProProfs). */
export function keyOfTag(tag: string, chainOfResource: (resourceId: string) => { chain: string; last: number } | undefined): string | undefined {
  const [type, resourceId, name] = tag.split('|');
  const chain = chainOfResource(resourceId);
  if (!chain) return undefined;
  let seq: number | undefined;
  if (type === 'task.created' || type === 'post_task' || type === 'new') seq = 0;
  else if (type === 'task.completed' || type === 'close_task') seq = chain.last;
  else if (type === 'task.updated' || type === 'update_task') {
    const m = /#(\d+)$/.exec(name ?? '');
    seq = m ? Number(m[1]) : undefined;
  }
  return seq === undefined ? undefined : `${chain.chain}#${seq}`;
}

/**
 * The run's ledger, from what was committed (the harness's own records: API answers, and
 * unknown outcomes resolved by reading back; publisher acknowledgements) and what each receiver
 * saw. API changes' event ids are learnt from the receivers whose bodies name the task and its
 * change (native, Worksection, ProProfs); bus changes' ids were chosen by the harness.
 */
export function computeLedger(input: {
  changes: readonly ChangeRecord[];
  hooks: readonly LedgerHook[];
  arrivals: Record<string, Arrival[]>;
  /** (hook, event id) pairs found in herald.deliveries.dlq. */
  dlq: readonly { hook: string; eventId: string }[];
  /**
   * Resources the scenario made before its hooks (its projects): their events (`project.created`)
   * reach a hook that takes every event when the router routes them after the hook exists (the
   * relay lags on a loaded host), and they are the set-up's, not a planned change — counted as
   * `setupArrivals`, not as unexpected.
   */
  setupResourceIds?: readonly string[];
}): Ledger {
  const committed = input.changes.filter((c) => c.committedAt !== undefined);
  const byKey = new Map(committed.map((c) => [c.key, c]));
  const lastSeq = new Map<string, number>();
  for (const c of committed) lastSeq.set(c.chain, Math.max(lastSeq.get(c.chain) ?? 0, c.seq));
  const chainOfResource = new Map<string, { chain: string; last: number }>();
  for (const c of committed) if (c.resourceId) chainOfResource.set(c.resourceId, { chain: c.chain, last: lastSeq.get(c.chain) ?? 0 });

  // Event id → change key.
  const keyOfId = new Map<string, string>();
  let inconsistentIds = 0;
  for (const c of committed) if (c.eventId) keyOfId.set(c.eventId, c.key);
  for (const list of Object.values(input.arrivals)) {
    for (const a of list) {
      if (!a.tag) continue;
      const key = keyOfTag(a.tag, (r) => chainOfResource.get(r));
      if (!key || !byKey.has(key)) continue;
      const known = keyOfId.get(a.id);
      if (known === undefined) keyOfId.set(a.id, key);
      else if (known !== key) inconsistentIds += 1;
    }
  }
  const tagOfId = new Map<string, string>();
  for (const list of Object.values(input.arrivals)) for (const a of list) if (a.tag && !tagOfId.has(a.id)) tagOfId.set(a.id, a.tag);
  const setup = new Set(input.setupResourceIds ?? []);
  const idOfKey = new Map<string, string>();
  for (const [id, key] of keyOfId) idOfKey.set(key, id);
  const unmappedChanges = committed.filter((c) => !idOfKey.has(c.key)).length;

  const hooks = input.hooks.map((h): HookLedger => {
    const arrivals = input.arrivals[h.name] ?? [];
    const okCount = new Map<string, number>();
    let failedArrivals = 0;
    for (const a of arrivals) {
      if (a.ok) okCount.set(a.id, (okCount.get(a.id) ?? 0) + 1);
      else failedArrivals += 1;
    }
    const dlqIds = new Set(input.dlq.filter((d) => d.hook === h.name).map((d) => d.eventId));
    const expected = committed.filter((c) => h.matches(c));
    const expectedIds = new Set<string>();
    let delivered = 0;
    let inDlq = 0;
    const missingKeys: string[] = [];
    for (const c of expected) {
      const id = idOfKey.get(c.key);
      if (id) expectedIds.add(id);
      if (id && okCount.has(id)) delivered += 1;
      else if (id && dlqIds.has(id)) inDlq += 1;
      else missingKeys.push(c.key);
    }
    let duplicates = 0;
    let setupArrivals = 0;
    const unexpectedIds: string[] = [];
    for (const [id, n] of okCount) {
      duplicates += n - 1;
      if (expectedIds.has(id)) continue;
      if (setup.has(tagOfId.get(id)?.split('|')[1] ?? '')) setupArrivals += 1;
      else unexpectedIds.push(id);
    }
    let orderViolations = 0;
    if (h.ordered) {
      const seen = new Set<string>();
      const highest = new Map<string, number>();
      for (const a of arrivals) {
        if (!a.ok || seen.has(a.id)) continue;
        seen.add(a.id);
        const key = keyOfId.get(a.id);
        if (!key) continue;
        const c = byKey.get(key);
        if (!c) continue;
        const top = highest.get(c.chain);
        if (top !== undefined && c.seq < top) orderViolations += 1;
        else highest.set(c.chain, c.seq);
      }
    }
    return {
      hook: h.name,
      expected: expected.length,
      delivered,
      duplicates,
      inDlq,
      missing: missingKeys.length,
      orderViolations,
      unexpected: unexpectedIds.length,
      setupArrivals,
      unexpectedSample: unexpectedIds.slice(0, 10).map((id) => (tagOfId.has(id) ? `${id} ${tagOfId.get(id)}` : id)),
      failedArrivals,
      missingSample: missingKeys.slice(0, 20),
    };
  });

  const sum = (f: (h: HookLedger) => number) => hooks.reduce((n, h) => n + f(h), 0);
  const planned = committed.filter((c) => !c.sentTwice);
  const bySource: Record<string, number> = {};
  for (const c of planned) bySource[c.source] = (bySource[c.source] ?? 0) + 1;
  const delivered = sum((h) => h.delivered);
  const duplicates = sum((h) => h.duplicates);
  return {
    changesCommitted: planned.length,
    changesBySource: bySource,
    sentTwiceByHarness: committed.length - planned.length,
    ambiguousResolved: committed.reduce((n, c) => n + (c.source === 'api' ? c.ambiguous : 0), 0),
    deliveriesExpected: sum((h) => h.expected),
    delivered,
    duplicates,
    duplicateRate: delivered ? duplicates / delivered : 0,
    inDlq: sum((h) => h.inDlq),
    missing: sum((h) => h.missing),
    orderViolations: sum((h) => h.orderViolations),
    unexpected: sum((h) => h.unexpected),
    setupArrivals: sum((h) => h.setupArrivals),
    unmappedChanges,
    inconsistentIds,
    hooks,
  };
}
