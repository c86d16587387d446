import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('resolves with the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? { n } : false), { intervalMs: 1 })).resolves.toEqual({ n: 3 });
  });

  it('awaits promises and treats throws and rejections as "not yet"', async () => {
    let n = 0;
    const value = await waitFor(
      async () => {
        n += 1;
        if (n === 1) throw new Error('boom');
        if (n === 2) return Promise.reject(new Error('later'));
        return 'done';
      },
      { intervalMs: 1 },
    );
    expect(value).toBe('done');
    expect(n).toBe(3);
  });

  it('times out with the message and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('still broken');
        },
        { timeoutMs: 30, intervalMs: 5, message: 'the thing' },
      ),
    ).rejects.toThrow(/timed out after 30 ms .*: the thing \(last error: still broken\)/);
  });

  it('times out with the last value when nothing threw', async () => {
    await expect(waitFor(() => 0, { timeoutMs: 20, intervalMs: 5, message: 'count' })).rejects.toThrow(/count \(last value: 0\)/);
  });
});
