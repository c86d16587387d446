import { computeLedger, keyOfTag, type LedgerHook } from './ledger';
import type { ChangeRecord } from './load';
import type { Arrival } from './receiver-types';

function chain(chainId: string, resourceId: string, source: 'api' | 'bus', projectId = 'p1', committed = 4): ChangeRecord[] {
  const actions: ChangeRecord['action'][] = ['created', 'updated', 'updated', 'completed'];
  return actions.map((action, seq) => ({
    key: `${chainId}#${seq}`,
    chain: chainId,
    seq,
    source,
    action,
    projectId,
    initiatorUserId: 'u1',
    external: false,
    resourceId,
    eventId: source === 'bus' ? `${chainId}-e${seq}` : undefined,
    committedAt: seq < committed ? 1 : undefined,
    attempts: 1,
    ambiguous: 0,
  }));
}

const ok = (id: string, tag?: string): Arrival => ({ id, t: 0, ok: true, tag });
const failed = (id: string): Arrival => ({ id, t: 0, ok: false });
const all: LedgerHook = { name: 'all', ordered: false, matches: () => true };
const ordered: LedgerHook = { name: 'ordered', ordered: true, matches: () => true };
const created: LedgerHook = { name: 'created', ordered: false, matches: (c) => c.action === 'created' };

describe('chaos ledger', () => {
  it('maps receivers\' tags to change keys: created, renamed (by the name), completed (the chain\'s last)', () => {
    const chains = (r: string) => (r === 't1' ? { chain: 'a1', last: 3 } : undefined);
    expect(keyOfTag('task.created|t1|a1#0', chains)).toBe('a1#0');
    expect(keyOfTag('task.updated|t1|a1#2', chains)).toBe('a1#2');
    expect(keyOfTag('close_task|t1|', chains)).toBe('a1#3');
    expect(keyOfTag('new|t1|', chains)).toBe('a1#0');
    expect(keyOfTag('task.updated|t9|a9#2', chains)).toBeUndefined();
  });

  it('learns API changes\' event ids from the receivers, and counts delivered, duplicates, DLQ, missing and unexpected per hook', () => {
    const changes = [...chain('a1', 't1', 'api'), ...chain('b1', 'r1', 'bus')];
    const ledger = computeLedger({
      changes,
      hooks: [all, created],
      arrivals: {
        all: [
          ok('x0', 'task.created|t1|a1#0'),
          ok('x1', 'task.updated|t1|a1#1'),
          ok('x1', 'task.updated|t1|a1#1'), // a duplicate
          ok('x2', 'task.updated|t1|a1#2'),
          // a1#3 (x3) never arrives here
          failed('b1-e0'),
          ok('b1-e0'),
          ok('b1-e1'),
          ok('b1-e2'),
          ok('b1-e3'),
          ok('stray'),
        ],
        created: [ok('x0'), ok('b1-e0'), ok('b1-e0')],
      },
      dlq: [],
    });
    expect(ledger.changesCommitted).toBe(8);
    expect(ledger.changesBySource).toEqual({ api: 4, bus: 4 });
    // a1#3's id is known nowhere: missing on both hooks that expect it (only "all").
    expect(ledger.unmappedChanges).toBe(1);
    expect(ledger.hooks).toEqual([
      expect.objectContaining({ hook: 'all', expected: 8, delivered: 7, duplicates: 1, missing: 1, unexpected: 1, failedArrivals: 1, missingSample: ['a1#3'] }),
      expect.objectContaining({ hook: 'created', expected: 2, delivered: 2, duplicates: 1, missing: 0, unexpected: 0 }),
    ]);
    expect(ledger).toMatchObject({ deliveriesExpected: 10, delivered: 9, duplicates: 2, missing: 1, inDlq: 0, inconsistentIds: 0 });
    expect(ledger.duplicateRate).toBeCloseTo(2 / 9);
  });

  it('counts the set-up\'s own events (its projects\' project.created, routed after the hooks existed) apart, not as unexpected; any other stray still is', () => {
    // The short chaos e2e failed twice with 5 "unexpected" arrivals at native-all: the
    // project.created events of 5 of the scenario's 6 projects, made before its hooks, routed after
    // them (the relay lagging on a loaded host).
    const changes = chain('a1', 't1', 'api');
    const arrivals = {
      all: [
        ok('x0', 'task.created|t1|a1#0'),
        ok('x1', 'task.updated|t1|a1#1'),
        ok('x2', 'task.updated|t1|a1#2'),
        ok('x3', 'task.completed|t1|a1#3'),
        ok('p1', 'project.created|proj-1|Chaos project 1'),
        ok('p2', 'project.created|proj-2|Chaos project 2'),
        ok('q9', 'project.created|proj-9|Someone else\'s project'),
      ],
      created: [ok('x0')],
    };
    const ledger = computeLedger({ changes, hooks: [all, created], arrivals, dlq: [], setupResourceIds: ['proj-1', 'proj-2'] });
    expect(ledger.hooks[0]).toMatchObject({ hook: 'all', delivered: 4, missing: 0, unexpected: 1, setupArrivals: 2 });
    expect(ledger.hooks[0].unexpectedSample).toEqual(['q9 project.created|proj-9|Someone else\'s project']);
    expect(ledger).toMatchObject({ unexpected: 1, setupArrivals: 2, missing: 0 });
    // Without the set-up's resources named, all three are unexpected (as before).
    expect(computeLedger({ changes, hooks: [all, created], arrivals, dlq: [] })).toMatchObject({ unexpected: 3, setupArrivals: 0 });
  });

  it('counts an undelivered change found in the DLQ as in DLQ, not missing; uncommitted changes are not expected', () => {
    const changes = chain('b2', 'r2', 'bus', 'p1', 2);
    const ledger = computeLedger({ changes, hooks: [all], arrivals: { all: [ok('b2-e0')] }, dlq: [{ hook: 'all', eventId: 'b2-e1' }] });
    expect(ledger.hooks[0]).toMatchObject({ expected: 2, delivered: 1, inDlq: 1, missing: 0 });
  });

  it('finds order violations on ordered hooks by first arrival per resource (a late duplicate is not one)', () => {
    const changes = [...chain('b3', 'r3', 'bus'), ...chain('b4', 'r4', 'bus')];
    const ledger = computeLedger({
      changes,
      hooks: [ordered],
      arrivals: {
        ordered: [
          ok('b3-e0'),
          ok('b4-e0'),
          ok('b3-e2'),
          ok('b3-e1'), // after b3-e2: a violation
          ok('b4-e1'),
          ok('b4-e0'), // a duplicate of an earlier one: not a violation
          ok('b3-e3'),
          ok('b4-e2'),
          ok('b4-e3'),
        ],
      },
      dlq: [],
    });
    expect(ledger.hooks[0]).toMatchObject({ delivered: 8, duplicates: 1, orderViolations: 1 });
  });

  it('counts an event id that two receivers tie to different changes as inconsistent', () => {
    const changes = chain('a5', 't5', 'api');
    const ledger = computeLedger({
      changes,
      hooks: [all],
      arrivals: { all: [ok('y', 'task.created|t5|a5#0'), ok('y', 'task.updated|t5|a5#1')] },
      dlq: [],
    });
    expect(ledger.inconsistentIds).toBe(1);
  });
});
