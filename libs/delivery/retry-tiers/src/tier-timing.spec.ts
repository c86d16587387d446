import { Headers } from '@herald/contracts';
import { dueAtOf, releaseAtOf, releaseFor } from './tier-timing';

const msg = (headers: Record<string, string>, timestamp = '1000000') => ({ headers, timestamp });

describe('tier timing', () => {
  it('reads the due time, null when absent or unreadable', () => {
    expect(dueAtOf(msg({ [Headers.DueAt]: '1234' }))).toBe(1234);
    expect(dueAtOf(msg({}))).toBeNull();
    expect(dueAtOf(msg({ [Headers.DueAt]: 'soon' }))).toBeNull();
  });

  it('releases a message when it is due, or after its tier\'s delay if that comes first', () => {
    expect(releaseFor(5_000, 30_000, 0)).toBe(5_000);
    expect(releaseFor(3_599_000, 600_000, 0)).toBe(600_000);
  });

  it('never holds a message longer than its tier\'s delay after it was written, whatever its headers say', () => {
    // Written at t=1,000,000 into the 10m tier, due an hour later (Retry-After: 3599 before hops existed).
    expect(releaseAtOf(msg({ [Headers.DueAt]: String(1_000_000 + 3_599_000) }), 600_000)).toBe(1_600_000);
    // A release header is honoured within the bound…
    expect(releaseAtOf(msg({ [Headers.DueAt]: '9999999', [Headers.ReleaseAt]: '1200000' }), 600_000)).toBe(1_200_000);
    // …and bounded like anything else.
    expect(releaseAtOf(msg({ [Headers.ReleaseAt]: '99999999' }), 30_000)).toBe(1_030_000);
    expect(releaseAtOf(msg({}), 30_000)).toBeNull();
  });
});
