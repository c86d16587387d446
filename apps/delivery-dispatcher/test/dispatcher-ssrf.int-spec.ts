import { dispatcherHarnessFor, waitFor, type DispatcherHarness } from './dispatcher-harness';

// No HERALD_SSRF_ALLOW_CIDRS here: loopback receivers must be refused, whatever the URL spelling.
describe('delivery-dispatcher SSRF guard (no allow-list)', () => {
  const h = dispatcherHarnessFor('dispatcher-ssrf', { allowLoopback: false });
  let rx: Awaited<ReturnType<DispatcherHarness['receiver']>>;

  beforeAll(async () => {
    rx = await h.receiver();
  });

  it.each([
    ['a host name resolving to 127.0.0.1', (port: number) => `http://localhost:${port}/hook`],
    ['a literal loopback address', (port: number) => `http://127.0.0.1:${port}/hook`],
    ['a decimal spelling', (port: number) => `http://2130706433:${port}/hook`],
    ['a hex short form', (port: number) => `http://0x7f.1:${port}/hook`],
    ['an IPv4-mapped IPv6 address', (port: number) => `http://[::ffff:127.0.0.1]:${port}/hook`],
  ])('refuses %s and never connects', async (_what, url) => {
    const { snapshot } = h.snapshot({ url: url(rx.port), retryPolicy: { scheduleMs: [1_000], maxAttempts: 1, maxAgeMs: 60_000, onExhausted: 'discard' } });
    await h.publishSnapshots(snapshot);
    const d = h.delivery(snapshot.id, 1);
    await h.publishDeliveries([d]);
    const [o] = await waitFor('the outcome', () => h.outcomesOf(d.deliveryId).length > 0 && h.outcomesOf(d.deliveryId));
    expect(o).toMatchObject({ status: 'discarded', attempt: 1, errorClass: 'ssrf_refused' });
    expect(o.httpStatus ?? null).toBeNull();
    expect(rx.received).toHaveLength(0);
  });
});
