import { CoalescingRun } from './coalescing-run';

describe('CoalescingRun', () => {
  it('never runs the job twice at once, and calls during a run share the next one', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const release: Array<() => void> = [];
    const runner = new CoalescingRun(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      const n = runs;
      await new Promise<void>((r) => release.push(r));
      running--;
      return n;
    });

    const tick = () => new Promise((r) => setImmediate(r));
    const first = runner.run();
    await tick();
    expect(release).toHaveLength(1);
    const second = runner.run();
    const third = runner.run();
    expect(second).toBe(third);

    release.shift()!();
    expect(await first).toBe(1);
    await tick();
    expect(release).toHaveLength(1);
    release.shift()!();
    expect(await second).toBe(2);
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('starts the next run even when the previous one failed', async () => {
    let calls = 0;
    const runner = new CoalescingRun(async () => {
      calls++;
      if (calls === 1) throw new Error('broker away');
      return calls;
    });
    await expect(runner.run()).rejects.toThrow('broker away');
    await expect(runner.run()).resolves.toBe(2);
  });
});
