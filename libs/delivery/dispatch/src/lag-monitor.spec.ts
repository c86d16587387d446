import type { ConsumerDeps } from '@herald/platform/kafka';
import type { DispatchMetrics } from './dispatch-metrics';
import { LagMonitor } from './lag-monitor';

describe('LagMonitor', () => {
  afterEach(() => jest.useRealTimers());

  it('reads the lag a few seconds after start, then every interval (not first a whole interval on), and stops', () => {
    // Review of 39344f9: with the poll every 30 s, the lag and tier depths of paused partitions were
    // unknown for the first 30 s after start.
    jest.useFakeTimers();
    const monitor = new LagMonitor({} as ConsumerDeps, {} as DispatchMetrics, 30_000, 5_000);
    const poll = jest.spyOn(monitor, 'poll').mockResolvedValue(undefined);
    monitor.start();
    jest.advanceTimersByTime(4_999);
    expect(poll).toHaveBeenCalledTimes(0);
    jest.advanceTimersByTime(1);
    expect(poll).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(25_000);
    expect(poll).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(30_000);
    expect(poll).toHaveBeenCalledTimes(3);
    monitor.stop();
    jest.advanceTimersByTime(120_000);
    expect(poll).toHaveBeenCalledTimes(3);
  });

  it('a failed poll is logged and the next one still runs', async () => {
    jest.useFakeTimers();
    const monitor = new LagMonitor({} as ConsumerDeps, {} as DispatchMetrics, 30_000, 5_000);
    const poll = jest.spyOn(monitor, 'poll').mockRejectedValue(new Error('broker away'));
    monitor.start();
    jest.advanceTimersByTime(35_000);
    await Promise.resolve();
    expect(poll).toHaveBeenCalledTimes(2);
    monitor.stop();
  });
});
