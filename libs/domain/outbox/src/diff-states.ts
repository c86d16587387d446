type State = Record<string, unknown> | null | undefined;

export interface DiffOptions {
  /** Top-level fields that change on every write (`updatedAt`, `dateModified`…) and say nothing. */
  ignore?: readonly string[];
}

/**
 * The top-level fields whose values differ between two states of a resource, compared deeply
 * (objects, arrays, dates). A field that is missing on one side and `undefined` on the other is
 * unchanged, as it is once serialised to JSON. Order: the fields of `after` as they appear, then
 * the fields only `before` had. An empty result means the update changed nothing.
 */
export function diffStates(before: State, after: State, opts: DiffOptions = {}): string[] {
  const ignore = new Set(opts.ignore ?? []);
  const b = before ?? {};
  const a = after ?? {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => !ignore.has(k) && !deepEqual(b[k], a[k]));
}

export function deepEqual(x: unknown, y: unknown): boolean {
  if (Object.is(x, y)) return true;
  if (x instanceof Date || y instanceof Date) {
    return x instanceof Date && y instanceof Date && x.getTime() === y.getTime();
  }
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  if (Array.isArray(x) && Array.isArray(y)) {
    return x.length === y.length && x.every((v, i) => deepEqual(v, y[i]));
  }
  const xo = x as Record<string, unknown>;
  const yo = y as Record<string, unknown>;
  const keys = new Set([...Object.keys(xo), ...Object.keys(yo)]);
  for (const k of keys) {
    if (!deepEqual(xo[k], yo[k])) return false;
  }
  return true;
}
