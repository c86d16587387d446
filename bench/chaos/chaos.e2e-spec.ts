import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, runChaos, type ChaosResult } from '@herald/bench/harness';
import { freePort } from '@herald/platform/testing';

// Issue 13, item 6: a short `npm run chaos` in `npm test`. The four services over a Kafka broker of
// its own (restarted once, with SIGKILL) and a fresh database on the shared PostgreSQL; 1,500
// changes (half through POST/PATCH /v1/tasks, half through ResourceChangePublisher) to seven hooks
// (every dialect, an ordered one); each service SIGKILLed once at a random moment and restarted;
// one receiver refuses connections for 15 s. The ledger must balance: every committed change
// delivered to every hook that matches it (or in the DLQ), nothing missing, nothing out of order
// on the ordered hooks, every consumer group and retry tier drained — and nothing left running.
jest.setTimeout(15 * 60_000);

describe('chaos (short run)', () => {
  let result: ChaosResult;
  const stateDir = path.join(ROOT, '.herald', `chaos-e2e-${process.pid}`);

  beforeAll(async () => {
    const lines: string[] = [];
    const t0 = Date.now();
    try {
      result = await runChaos({
        label: 't-chaos',
        stateDir,
        kafkaPort: await freePort(),
        kafkaControllerPort: await freePort(),
        kafkaHeap: '-Xmx512m',
        changes: 1_500,
        updatesPerChain: 3,
        projects: 6,
        ratePerSec: 15,
        apiConcurrency: 4,
        replicas: { router: 1, dispatcher: 1 },
        killsPerInstance: 1,
        kafkaRestarts: ['kill'],
        postgresRestarts: 0,
        refuseMs: 15_000,
        failFirstAttemptRatio: 0.02,
        drainTimeoutMs: 5 * 60_000,
        faultMarginMs: 10_000,
        minKillSpacingMs: 10_000,
        partitionsOverride: 3,
        seed: Date.now() % 100_000,
        log: (msg) => lines.push(`+${((Date.now() - t0) / 1000).toFixed(0)}s ${msg}`),
      });
    } finally {
      if (!result?.passed) console.error(`chaos run log:\n${lines.join('\n')}`);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('loses nothing: every committed change reached every hook that matches it, the ledger balances', () => {
    const l = result.ledger;
    expect(l.changesCommitted).toBe(1_500);
    expect(l.changesBySource).toEqual({ api: 750, bus: 750 });
    expect(l.missing).toBe(0);
    expect(l.delivered + l.inDlq).toBe(l.deliveriesExpected);
    expect(l.inconsistentIds).toBe(0);
    expect(l.unexpected).toBe(0);
    for (const h of l.hooks) expect({ hook: h.hook, missing: h.missing, delivered: h.delivered + h.inDlq }).toEqual({ hook: h.hook, missing: 0, delivered: h.expected });
  });

  it('keeps order on the ordered hooks (native ordered mode, Procore)', () => {
    expect(result.ledger.hooks.filter((h) => h.hook === 'native-ordered' || h.hook === 'procore').map((h) => [h.hook, h.orderViolations])).toEqual([
      ['native-ordered', 0],
      ['procore', 0],
    ]);
  });

  it('went through the faults it promised: each service killed once, the broker restarted, a receiver refused', () => {
    const kills = result.faults.filter((f) => f.kind === 'kill').map((f) => f.target.split('#')[0]);
    expect(kills.sort()).toEqual(['delivery-dispatcher', 'domain-api', 'event-router', 'subscription-registry']);
    expect(result.faults.filter((f) => f.kind !== 'kill').map((f) => f.kind).sort()).toEqual(['kafka-kill', 'refuse']);
  });

  it('drains every consumer group and retry tier, and leaves no process behind', () => {
    expect(result.lags.filter((g) => g.lag !== 0)).toEqual([]);
    expect(result.tiersDrained).toBe(true);
    expect(result.leftBehind).toEqual([]);
  });
});
