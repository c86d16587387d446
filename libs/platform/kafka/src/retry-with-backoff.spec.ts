import { retryWithBackoff } from './retry-with-backoff';

describe('retryWithBackoff', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('tries again after each failure, waiting twice as long each time up to the cap, and returns what the try that worked returned', async () => {
    const tries: number[] = [];
    const errors: string[] = [];
    const result = retryWithBackoff(
      async () => {
        tries.push(Date.now());
        if (tries.length < 5) throw new Error(`no ${tries.length}`);
        return 'ok';
      },
      { onError: (e) => errors.push(e.message), firstDelayMs: 100, maxDelayMs: 300 },
    );
    await jest.advanceTimersByTimeAsync(2_000);
    await expect(result).resolves.toBe('ok');
    expect(errors).toEqual(['no 1', 'no 2', 'no 3', 'no 4']);
    expect(tries.slice(1).map((t, i) => t - tries[i])).toEqual([100, 200, 300, 300]);
  });

  it('makes no further try once stopped, and gives undefined', async () => {
    let stopping = false;
    let tries = 0;
    const result = retryWithBackoff(
      async () => {
        tries++;
        throw new Error('down');
      },
      { stopped: () => stopping, onError: () => (stopping = tries === 2) },
    );
    await jest.advanceTimersByTimeAsync(60_000);
    await expect(result).resolves.toBeUndefined();
    expect(tries).toBe(2);
  });

  it('waits for onError before the next try', async () => {
    const order: string[] = [];
    let failed = false;
    const result = retryWithBackoff(
      async () => {
        order.push('try');
        if (!failed) {
          failed = true;
          throw new Error('x');
        }
      },
      { onError: () => new Promise<void>((r) => setTimeout(() => (order.push('cleaned up'), r()), 1_000)), firstDelayMs: 1 },
    );
    await jest.advanceTimersByTimeAsync(2_000);
    await result;
    expect(order).toEqual(['try', 'cleaned up', 'try']);
  });
});
