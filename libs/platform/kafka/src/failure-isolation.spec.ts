import { PoisonMessageError, TransientFailureError, type FailureClass } from './failure-class';
import {
  DEFAULT_ISOLATION_POLICY,
  IsolationState,
  TransientFailureWhileIsolating,
  isolateFailures,
  type GivenUp,
  type IsolationHooks,
} from './failure-isolation';

/**
 * A scripted owner: `attempt` fails while the batch holds a poison item (with the error the
 * test chose), or while `down` says a dependency is away; everything it does is recorded.
 */
function owner(opts: { poison?: Map<number, () => unknown>; down?: () => boolean; healthy?: () => boolean; running?: () => boolean } = {}) {
  const log = {
    attempts: [] as number[][],
    handled: [] as number[],
    givenUp: [] as { item: number; why: GivenUp }[],
    transient: [] as FailureClass[],
    recovered: 0,
    sleeps: [] as number[],
    probes: 0,
  };
  const hooks: IsolationHooks<number> = {
    attempt: async (items) => {
      log.attempts.push([...items]);
      if (opts.down?.()) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      for (const i of items) {
        const fail = opts.poison?.get(i);
        if (fail) throw fail();
      }
    },
    handled: (items) => void log.handled.push(...items),
    giveUp: async (item, why) => void log.givenUp.push({ item, why }),
    probe: async () => {
      log.probes++;
      return opts.healthy?.() ?? true;
    },
    transient: (_e, f) => void log.transient.push(f),
    recovered: () => void log.recovered++,
    running: opts.running ?? (() => true),
    sleep: async (ms) => void log.sleeps.push(ms),
  };
  return { hooks, log };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const nulError = () => Object.assign(new Error('unsupported Unicode escape sequence'), { name: 'error', code: '22P05', severity: 'ERROR', routine: 'x' });

describe('isolateFailures', () => {
  it('handles a healthy batch in one attempt', async () => {
    const { hooks, log } = owner();
    await expect(isolateFailures(range(8), hooks, new IsolationState())).resolves.toBe(true);
    expect(log.attempts).toEqual([range(8)]);
    expect(log.handled).toEqual(range(8));
  });

  it('finds one poison message in a batch of 100 by splitting, dead-letters it alone and handles the other 99 in order', async () => {
    const { hooks, log } = owner({ poison: new Map([[37, nulError]]) });
    await expect(isolateFailures(range(100), hooks, new IsolationState())).resolves.toBe(true);
    expect(log.givenUp.map((g) => g.item)).toEqual([37]);
    expect(log.givenUp[0].why.failure).toEqual({ kind: 'message', label: 'pg 22P05' });
    expect(log.handled).toEqual(range(100).filter((i) => i !== 37));
    // A data error does not heal: split at once, no waiting, about 2·log2(100) attempts.
    expect(log.sleeps).toEqual([]);
    expect(log.attempts.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(100)) + 1);
    expect(log.transient).toEqual([]);
  });

  it('finds several poison messages, keeping the order of everything else', async () => {
    const poison = new Map<number, () => unknown>([0, 5, 6, 19].map((i) => [i, () => new TypeError(`bad ${i}`)]));
    const { hooks, log } = owner({ poison });
    await isolateFailures(range(20), hooks, new IsolationState());
    expect(log.givenUp.map((g) => g.item)).toEqual([0, 5, 6, 19]);
    expect(log.handled).toEqual(range(20).filter((i) => !poison.has(i)));
  });

  it('retries an unknown failure a bounded number of times per batch and per message, probing before blaming the message', async () => {
    const { hooks, log } = owner({ poison: new Map([[3, () => new Error('odd')]]) });
    await isolateFailures(range(4), hooks, new IsolationState());
    expect(log.givenUp).toHaveLength(1);
    expect(log.givenUp[0]).toMatchObject({ item: 3, why: { tries: DEFAULT_ISOLATION_POLICY.messageTries, failure: { kind: 'unknown', label: 'error' } } });
    expect(log.handled).toEqual([0, 1, 2]);
    // [0..3] ×3, [0,1] ✓, [2,3] ×3, [2] ✓, [3] ×3: each failure probed, each retry after a backoff.
    expect(log.attempts.filter((a) => a.length === 4)).toHaveLength(DEFAULT_ISOLATION_POLICY.batchTries);
    expect(log.attempts.filter((a) => a.length === 1 && a[0] === 3)).toHaveLength(DEFAULT_ISOLATION_POLICY.messageTries);
    expect(log.probes).toBe(9);
    expect(log.sleeps).toEqual([200, 400, 200, 400, 200, 400]);
  });

  it('a dependency that is down is never blamed on a message: same items retried, readiness down, until it is back', async () => {
    let downFor = 6;
    const { hooks, log } = owner({ down: () => downFor-- > 0 });
    await expect(isolateFailures(range(10), hooks, new IsolationState())).resolves.toBe(true);
    expect(log.givenUp).toEqual([]);
    expect(log.attempts).toEqual(Array.from({ length: 7 }, () => range(10)));
    expect(log.transient.map((f) => f.label)).toEqual(Array.from({ length: 6 }, () => 'ECONNREFUSED'));
    expect(log.recovered).toBe(1);
    expect(log.handled).toEqual(range(10));
    expect(log.sleeps).toEqual([200, 400, 800, 1600, 3200, 6400]);
  });

  it('an unknown failure while the probe finds a dependency down is transient: nothing is dead-lettered', async () => {
    let unhealthy = 3;
    let failing = 3;
    const { hooks, log } = owner({ healthy: () => unhealthy-- <= 0 });
    // Item 1 throws an unknown error three times while the probe says "down", then works.
    hooks.attempt = async (items) => {
      log.attempts.push([...items]);
      if (items.includes(1) && failing-- > 0) throw new Error('pool closed?');
    };
    await isolateFailures(range(3), hooks, new IsolationState());
    expect(log.givenUp).toEqual([]);
    expect(log.transient.map((f) => f.kind)).toEqual(['transient', 'transient', 'transient']);
    expect(log.handled).toEqual([0, 1, 2]);
  });

  it('a transient failure in the middle of a split keeps what was handled and retries only the rest', async () => {
    let brokerDown = false;
    const { hooks, log } = owner({ poison: new Map([[2, () => new PoisonMessageError('bad')]]), down: () => brokerDown });
    const inner = hooks.handled;
    hooks.handled = (items) => {
      inner(items);
      if (items.includes(0)) brokerDown = true; // goes down after [0,1] was handled
    };
    const sleep = hooks.sleep;
    hooks.sleep = async (ms) => {
      await sleep(ms);
      brokerDown = false;
    };
    await isolateFailures(range(4), hooks, new IsolationState());
    expect(log.handled).toEqual([0, 1, 3]);
    expect(log.givenUp.map((g) => g.item)).toEqual([2]);
    expect(log.attempts.filter((a) => a.includes(0))).toEqual([range(4), [0, 1]]);
  });

  it('stops (false) when the owner stops running, handling nothing more', async () => {
    let running = true;
    const { hooks, log } = owner({ down: () => true, running: () => running });
    hooks.sleep = async () => {
      running = false;
    };
    await expect(isolateFailures(range(3), hooks, new IsolationState())).resolves.toBe(false);
    expect(log.handled).toEqual([]);
    expect(log.givenUp).toEqual([]);
  });

  it('after maxConsecutiveGiveUps unknown messages in a row, takes the failure as systemic until something succeeds', async () => {
    const everyOne = new Map<number, () => unknown>(range(10).map((i) => [i, () => new Error('handler bug')]));
    const policy = { ...DEFAULT_ISOLATION_POLICY, batchTries: 1, messageTries: 1, maxConsecutiveGiveUps: 2 };
    const state = new IsolationState();
    const { hooks, log } = owner({ poison: everyOne });
    let fixedAfter = 5;
    hooks.sleep = async () => {
      if (--fixedAfter === 0) everyOne.clear(); // the operator deploys a fix
    };
    await isolateFailures(range(10), hooks, state, policy);
    // Two given up, then systemic (transient-like) retries until the fix, then the rest handled.
    expect(log.givenUp.map((g) => g.item)).toEqual([0, 1]);
    expect(log.transient.length).toBeGreaterThan(0);
    expect(log.transient.every((f) => f.kind === 'systemic')).toBe(true);
    expect(log.handled).toEqual(range(10).slice(2));
    expect(state.consecutiveGiveUps).toBe(0);
  });

  it('data errors are never taken as systemic: a hostile tenant sending many poison messages cannot stop the consumer', async () => {
    const poison = new Map<number, () => unknown>(range(50).map((i) => [i * 2, nulError]));
    const { hooks, log } = owner({ poison });
    await isolateFailures(range(100), hooks, new IsolationState(), { ...DEFAULT_ISOLATION_POLICY, maxConsecutiveGiveUps: 2 });
    expect(log.givenUp).toHaveLength(50);
    expect(log.handled).toEqual(range(100).filter((i) => i % 2 === 1));
    expect(log.transient).toEqual([]);
  });

  it('a dead-letter write that fails is retried (transient) until it goes through', async () => {
    const { hooks, log } = owner({ poison: new Map([[0, nulError]]) });
    let dlqDown = 2;
    hooks.giveUp = async (item, why) => {
      if (dlqDown-- > 0) throw new TransientFailureError('broker away');
      log.givenUp.push({ item, why });
    };
    await isolateFailures([0, 1], hooks, new IsolationState());
    expect(log.givenUp.map((g) => g.item)).toEqual([0]);
    expect(log.transient).toHaveLength(2);
    expect(log.handled).toEqual([1]);
  });

  it("with onTransient 'throw', hands a transient failure back to the caller at once", async () => {
    const { hooks, log } = owner({ down: () => true });
    hooks.onTransient = 'throw';
    await expect(isolateFailures(range(3), hooks, new IsolationState())).rejects.toBeInstanceOf(TransientFailureWhileIsolating);
    expect(log.attempts).toHaveLength(1);
  });
});
