import { DispatchEnv } from './dispatcher.service';

describe('HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION (validated at start-up)', () => {
  it('defaults to 4 MiB beside the count of 1,000', () => {
    const c = DispatchEnv.parse({});
    expect(c.HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION).toBe(4 * 1024 * 1024);
    expect(c.HERALD_DISPATCH_MAX_PENDING_PER_PARTITION).toBe(1_000);
  });

  it('takes whole bytes from 64 KiB to 1 GiB', () => {
    expect(DispatchEnv.parse({ HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION: '1048576' }).HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION).toBe(1_048_576);
    for (const bad of ['0', '65535', '1073741825', '1.5', '4MB', '-1', '1e12']) {
      expect(DispatchEnv.safeParse({ HERALD_DISPATCH_MAX_PENDING_BYTES_PER_PARTITION: bad }).success).toBe(false);
    }
  });
});
