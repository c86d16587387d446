import { LoopStalls, activeNow } from './loop-stalls';

describe('LoopStalls', () => {
  it('counts how late its timer runs as stalls, the current one included, and never goes back', () => {
    let t = 1_000;
    const stalls = new LoopStalls(20, () => t);
    t += 20;
    stalls.tick(); // on time
    expect(stalls.stalledMs()).toBe(0);
    t += 520; // the process could not run for 500 ms
    expect(stalls.stalledMs()).toBe(500); // seen before the timer runs
    stalls.tick();
    expect(stalls.stalledMs()).toBe(500);
    t += 15;
    stalls.tick(); // early is not negative
    t += 20;
    expect(stalls.stalledMs()).toBe(500);
  });

  it('gives a clock that stands still while the process stalls', () => {
    const stalled = { ms: 0 };
    const clock = { stalledMs: () => stalled.ms };
    expect(activeNow(clock, 10_000)).toBe(10_000);
    stalled.ms = 1_500;
    expect(activeNow(clock, 11_600)).toBe(10_100);
  });
});
