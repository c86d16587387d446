import { deepEqual, diffStates } from './diff-states';

describe('diffStates', () => {
  it('lists the top-level fields whose values changed, deeply compared', () => {
    const before = { name: 'A', tags: ['x', 'y'], owner: { id: 1, name: 'Ann' }, due: new Date('2026-01-01T00:00:00Z') };
    const after = { name: 'A', tags: ['x', 'z'], owner: { id: 1, name: 'Ann' }, due: new Date('2026-01-01T00:00:00Z') };
    expect(diffStates(before, after)).toEqual(['tags']);
    expect(diffStates(before, { ...after, owner: { id: 2, name: 'Ann' } })).toEqual(['tags', 'owner']);
  });

  it('reports an update that changes nothing as no fields', () => {
    const s = { name: 'A', progress: 50, nested: { a: [1, { b: 2 }] } };
    expect(diffStates(s, structuredClone(s))).toEqual([]);
  });

  it('ignores the timestamps the caller names', () => {
    const before = { name: 'A', updatedAt: '2026-01-01', dateModified: 1 };
    const after = { name: 'A', updatedAt: '2026-01-02', dateModified: 2 };
    expect(diffStates(before, after, { ignore: ['updatedAt', 'dateModified'] })).toEqual([]);
    expect(diffStates(before, { ...after, name: 'B' }, { ignore: ['updatedAt', 'dateModified'] })).toEqual(['name']);
  });

  it('counts added and removed fields; after-fields first, then the removed ones', () => {
    expect(diffStates({ a: 1, gone: true }, { b: 2, a: 1 })).toEqual(['b', 'gone']);
  });

  it('treats a missing field and an undefined one as equal, null as a value', () => {
    expect(diffStates({ a: 1 }, { a: 1, b: undefined })).toEqual([]);
    expect(diffStates({ a: 1 }, { a: 1, b: null })).toEqual(['b']);
  });

  it('on create or delete, every field changed', () => {
    expect(diffStates(null, { a: 1, b: 2 })).toEqual(['a', 'b']);
    expect(diffStates({ a: 1 }, undefined)).toEqual(['a']);
  });
});

describe('deepEqual', () => {
  it('distinguishes arrays from objects and compares dates by time', () => {
    expect(deepEqual([1], { 0: 1 })).toBe(false);
    expect(deepEqual(new Date(5), new Date(5))).toBe(true);
    expect(deepEqual(new Date(5), 5)).toBe(false);
    expect(deepEqual(NaN, NaN)).toBe(true);
    expect(deepEqual('1', 1)).toBe(false);
  });
});
