import { classifyFailure, type FailureClass } from './failure-class';

export interface IsolationPolicy {
  /** Tries of a batch failing with an `unknown` error before it is split in two. */
  batchTries: number;
  /** Tries of ONE message failing with an `unknown` error before it is given up (dead-lettered). */
  messageTries: number;
  /** Backoff between tries, doubling from `initialMs` up to `maxMs`. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /**
   * `unknown` failures given up one after another, with nothing handled in between, before the
   * failures are taken as systemic (a bug or an outage no probe sees) and retried like transient
   * ones until something succeeds: a broken handler must not dead-letter a whole topic.
   */
  maxConsecutiveGiveUps: number;
}

export const DEFAULT_ISOLATION_POLICY: IsolationPolicy = {
  batchTries: 3,
  messageTries: 3,
  initialBackoffMs: 200,
  maxBackoffMs: 10_000,
  maxConsecutiveGiveUps: 5,
};

export interface GivenUp {
  error: unknown;
  failure: FailureClass;
  /** How often this message was tried alone. */
  tries: number;
}

/** What `isolateFailures` needs from its owner (a consumer's handler, a producer's request). */
export interface IsolationHooks<T> {
  /** Handles (or sends) these items together; throws when that fails. */
  attempt(items: readonly T[]): Promise<void>;
  /** Called once items were handled, in order (resolve their offsets, settle their promises). */
  handled(items: readonly T[]): void | Promise<void>;
  /**
   * Gives up on one item that fails on its own (dead-letters it with the reason); the others go
   * on. If this throws, the failure is treated as transient and giving up is tried again.
   */
  giveUp(item: T, why: GivenUp): Promise<void>;
  /**
   * Are the dependencies healthy (database, broker)? Asked before an `unknown` failure is
   * blamed on a message: if not, the failure is transient.
   */
  probe(): Promise<boolean>;
  /** A transient (or systemic) failure: readiness goes down until `recovered`. */
  transient(error: unknown, failure: FailureClass): void;
  /** A failure that will be tried again or isolated (logged; readiness unchanged). */
  failed?(error: unknown, failure: FailureClass, items: readonly T[]): void;
  /** Something was handled after a transient failure. */
  recovered(): void;
  /** False once the owner stops or loses the items (consumer stopping, partition revoked). */
  running(): boolean;
  /** How transient failures are waited out; default: retried until they pass. */
  onTransient?: 'retry' | 'throw';
  sleep(ms: number): Promise<void>;
  /** Between tries (a consumer's heartbeat). */
  idle?(): Promise<void>;
  classify?(error: unknown): FailureClass;
}

/** The state an owner keeps across calls: the give-up streak behind `maxConsecutiveGiveUps`. */
export class IsolationState {
  consecutiveGiveUps = 0;
  inTrouble = false;
}

export class TransientFailureWhileIsolating extends Error {
  constructor(
    readonly error: unknown,
    readonly failure: FailureClass,
  ) {
    super(error instanceof Error ? error.message : String(error));
    this.name = 'TransientFailureWhileIsolating';
  }
}

/**
 * Handles `items` so that one bad item never holds the others:
 * - success: `handled(items)`;
 * - a `transient` or `systemic` failure (or an `unknown` one while `probe()` says a dependency is
 *   down): `transient()`, wait, try the same items again, for as long as it takes;
 * - a `message` failure: the batch is split in two, each half handled in order (recursively),
 *   down to the one item that fails alone, which is given up at once (data errors do not heal);
 * - an `unknown` failure: the batch is tried `batchTries` times, then split; one item alone is
 *   tried `messageTries` times, then given up — unless `maxConsecutiveGiveUps` unknown items were
 *   given up in a row, in which case the failure is taken as systemic (above).
 * Order is kept: everything before an item is handled (or given up) before it.
 * Resolves true when every item was handled or given up, false when `running()` turned false.
 */
export async function isolateFailures<T>(
  items: readonly T[],
  hooks: IsolationHooks<T>,
  state: IsolationState,
  policy: IsolationPolicy = DEFAULT_ISOLATION_POLICY,
): Promise<boolean> {
  if (items.length === 0) return true;
  const classify = hooks.classify ?? classifyFailure;
  let tries = 0;
  let backoff = policy.initialBackoffMs;
  const wait = async () => {
    await hooks.sleep(backoff);
    backoff = Math.min(backoff * 2, policy.maxBackoffMs);
    await hooks.idle?.().catch(() => undefined);
  };
  for (;;) {
    if (!hooks.running()) return false;
    let error: unknown;
    try {
      await hooks.attempt(items);
      if (state.inTrouble) hooks.recovered();
      state.inTrouble = false;
      state.consecutiveGiveUps = 0;
      await hooks.handled(items);
      return true;
    } catch (e) {
      error = e;
    }
    let failure = classify(error);
    if (failure.kind === 'unknown' && state.consecutiveGiveUps >= policy.maxConsecutiveGiveUps) {
      failure = { kind: 'systemic', label: `${failure.label}, ${state.consecutiveGiveUps} messages given up in a row` };
    }
    if (failure.kind === 'unknown' && !(await hooks.probe().catch(() => false))) {
      failure = { kind: 'transient', label: `${failure.label}, dependencies unhealthy` };
    }
    if (failure.kind === 'transient' || failure.kind === 'systemic') {
      state.inTrouble = true;
      hooks.transient(error, failure);
      if (hooks.onTransient === 'throw') throw new TransientFailureWhileIsolating(error, failure);
      tries = 0;
      await wait();
      continue;
    }
    hooks.failed?.(error, failure, items);
    tries++;
    if (items.length > 1) {
      if (failure.kind === 'unknown' && tries < policy.batchTries) {
        await wait();
        continue;
      }
      const mid = Math.ceil(items.length / 2);
      if (!(await isolateFailures(items.slice(0, mid), hooks, state, policy))) return false;
      return isolateFailures(items.slice(mid), hooks, state, policy);
    }
    if (failure.kind === 'unknown' && tries < policy.messageTries) {
      await wait();
      continue;
    }
    return giveUp(items[0], { error, failure, tries }, hooks, state, policy);
  }
}

async function giveUp<T>(item: T, why: GivenUp, hooks: IsolationHooks<T>, state: IsolationState, policy: IsolationPolicy): Promise<boolean> {
  let backoff = policy.initialBackoffMs;
  for (;;) {
    if (!hooks.running()) return false;
    try {
      await hooks.giveUp(item, why);
      if (why.failure.kind === 'unknown') state.consecutiveGiveUps++;
      return true;
    } catch (e) {
      // The dead-letter write failed: the broker is away; try again once it is back.
      const failure = classifyFailure(e);
      state.inTrouble = true;
      hooks.transient(e, { kind: 'transient', label: `cannot dead-letter: ${failure.label}` });
      if (hooks.onTransient === 'throw') throw new TransientFailureWhileIsolating(e, failure);
      await hooks.sleep(backoff);
      backoff = Math.min(backoff * 2, policy.maxBackoffMs);
      await hooks.idle?.().catch(() => undefined);
    }
  }
}
