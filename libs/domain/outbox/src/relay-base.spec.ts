import { Wakeup } from './relay-base';

describe('Wakeup', () => {
  it('resolves a waiter early when woken', async () => {
    const w = new Wakeup();
    const started = Date.now();
    const waiting = w.wait(5_000);
    w.wake();
    await waiting;
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('keeps a wake that came while nobody waited (a NOTIFY during a batch), once', async () => {
    const w = new Wakeup();
    w.wake();
    const started = Date.now();
    await w.wait(5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    const second = await Promise.race([w.wait(50).then(() => 'timer'), new Promise((r) => setTimeout(() => r('late'), 1_000))]);
    expect(second).toBe('timer');
  });
});
