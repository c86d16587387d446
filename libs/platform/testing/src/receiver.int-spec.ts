import { startReceiver, type Receiver } from './receiver';

describe('startReceiver', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it('records method, path, headers, raw body and time, and answers 200 {"status":"OK"} by default', async () => {
    const before = Date.now();
    const body = Buffer.from('{"a": 1,  "b":"é"}', 'utf8');
    const res = await fetch(`${receiver.url}/hooks/a?x=1`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'OK' });
    const [r] = receiver.requests;
    expect(r).toMatchObject({ index: 0, method: 'POST', path: '/hooks/a?x=1', text: '{"a": 1,  "b":"é"}' });
    expect(r.body.equals(body)).toBe(true);
    expect(r.headers['webhook-id']).toBe('msg_1');
    expect(r.json()).toEqual({ a: 1, b: 'é' });
    expect(r.receivedAt).toBeGreaterThanOrEqual(before);
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers scripted responses in order, then the responder, then the default', async () => {
    receiver.enqueue({ status: 500, body: 'down' }, { status: 503, headers: { 'retry-after': '2' } });
    receiver.respondWith((req) => (req.path.startsWith('/b') ? { status: 410 } : undefined));
    const statuses = [];
    for (const p of ['/a', '/a', '/b', '/a']) {
      const res = await fetch(`${receiver.url}${p}`, { method: 'POST', body: 'x' });
      statuses.push([res.status, res.headers.get('retry-after'), await res.text()]);
    }
    expect(statuses).toEqual([
      [500, null, 'down'],
      [503, '2', ''],
      [410, null, ''],
      [200, null, '{"status":"OK"}'],
    ]);
    expect(receiver.requests.map((r) => r.response.status)).toEqual([500, 503, 410, 200]);
    expect(receiver.requestsTo('/b')).toHaveLength(1);
  });

  it('delays and hangs up on request, and waits for requests', async () => {
    receiver.enqueue({ delayMs: 300 }, { hangUp: true });
    const started = Date.now();
    const slow = await fetch(`${receiver.url}/slow`);
    expect(slow.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await expect(fetch(`${receiver.url}/gone`)).rejects.toThrow();

    setTimeout(() => void fetch(`${receiver.url}/later`, { method: 'PUT', body: 'z' }), 100);
    const got = await receiver.waitForRequests(1, { pathPrefix: '/later', timeoutMs: 5000 });
    expect(got[0].method).toBe('PUT');
    await expect(receiver.waitForRequests(5, { timeoutMs: 100 })).rejects.toThrow(/expected 5 request\(s\) at the receiver within 100 ms, got 3: GET \/slow, GET \/gone, PUT \/later/);

    receiver.clear();
    expect(receiver.requests).toHaveLength(0);
  });

  it('closes with a delayed response pending', async () => {
    receiver.enqueue({ delayMs: 10_000 });
    const pending = fetch(`${receiver.url}/pending`).catch((e: Error) => e);
    await receiver.waitForRequests(1);
    await receiver.close();
    expect(String(await pending)).toMatch(/TypeError: fetch failed/);
  });
});
