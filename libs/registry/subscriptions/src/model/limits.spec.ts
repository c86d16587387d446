import { SubscriptionLimits, headerBytes, limitIssues } from './limits';

describe('subscription limits', () => {
  const limits = new SubscriptionLimits(10, 2, 2, 64, 40);

  it('counts header bytes in UTF-8, names and values, with the Authorization value', () => {
    expect(headerBytes([{ name: 'x-a', value: 'é' }], null)).toBe(3 + 2);
    expect(headerBytes([], 'Bearer t')).toBe('authorization'.length + 8);
  });

  it('names each setting over its limit, and nothing within', () => {
    expect(limitIssues({ scope: { kind: 'projects', projectIds: ['a', 'b'] }, formatOptions: { a: 1 }, headers: [{ name: 'x', value: 'y' }], authorization: null }, limits)).toEqual([]);
    expect(
      limitIssues(
        {
          scope: { kind: 'projects', projectIds: ['a', 'b', 'c'] },
          formatOptions: { text: 'x'.repeat(40) },
          headers: [1, 2, 3].map((i) => ({ name: `x-${i}`, value: 'v'.repeat(20) })),
          authorization: null,
        },
        limits,
      ).map((i) => i.path),
    ).toEqual(['scope.projectIds', 'formatOptions', 'headers', 'headers']);
    // The Authorization value alone can take a hook over its header bytes.
    expect(limitIssues({ headers: [], authorization: 'Bearer '.padEnd(60, 'x') }, limits)).toEqual([
      { path: 'headers', message: expect.stringMatching(/at most 64 bytes together \(73 given\)/) },
    ]);
  });

  it('leaves out what is not given (a patch that does not touch it)', () => {
    expect(limitIssues({}, limits)).toEqual([]);
  });
});
