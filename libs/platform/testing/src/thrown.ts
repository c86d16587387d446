/**
 * What `fn` throws, which must be a `type` (anything else it throws is thrown on), for a test that
 * looks into the error (its message, its issues); fails when `fn` returns.
 */
export function thrownBy<E extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  throw new Error(`expected a ${type.name}, nothing was thrown`);
}
