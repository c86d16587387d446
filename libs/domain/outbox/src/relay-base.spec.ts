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

  it('tells whether a wake is pending (the polling relay lingers only after a NOTIFY that came during a batch)', async () => {
    const w = new Wakeup();
    expect(w.isPending).toBe(false);
    const waiting = w.wait(5_000);
    w.wake(); // someone waited: the wake is used up, nothing pending
    await waiting;
    expect(w.isPending).toBe(false);
    w.wake(); // nobody waited
    expect(w.isPending).toBe(true);
    await w.wait(5_000);
    expect(w.isPending).toBe(false);
  });
});
