import { SubscriptionVersionConflictError } from '../model/errors';

/**
 * Runs a read-modify-write again when the subscription changed between its read and its write
 * (`SubscriptionVersionConflictError`, nothing written): after a short random pause, up to
 * `attempts` times, then the conflict is the caller's (a 409). Every replica's writes are
 * version-checked in the UPDATE, so this is what keeps concurrent changes from being lost.
 */
export async function retryOnVersionConflict<T>(work: () => Promise<T>, attempts = 30): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      if (!(e instanceof SubscriptionVersionConflictError) || attempt >= attempts) throw e;
      // Random, growing to at most 100 ms: contenders spread out instead of colliding again.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 5 * 2 ** attempt)));
    }
  }
}
