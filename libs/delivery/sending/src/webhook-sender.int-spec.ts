import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { generateSigningSecret } from '@herald/delivery/signing';
import { SsrfGuard } from '@herald/delivery/ssrf-guard';
import { excerpt, parseRetryAfter, WebhookSender, type SuccessContract } from './webhook-sender';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback HTTP server whose answer each test scripts. */
async function receiver(answer: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    seen,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('WebhookSender (loopback receivers)', () => {
  const loopback = new WebhookSender(new SsrfGuard({ allowCidrs: ['127.0.0.0/8'] }));
  const strict = new WebhookSender(new SsrfGuard());
  const closers: (() => Promise<void>)[] = [];
  const track = <T extends { close: () => Promise<void> }>(r: T): T => (closers.push(r.close), r);

  afterAll(async () => {
    await Promise.all(closers.map((c) => c()));
    await loopback.close();
    await strict.close();
  });

  it('sends a signed request with the verb, headers and basic auth, verified by standardwebhooks', async () => {
    const r = track(await receiver((_req, res) => res.writeHead(204).end()));
    const secrets = [generateSigningSecret(), generateSigningSecret()];
    const body = JSON.stringify({ type: 'task.created', data: { id: 'T-1' } });
    const result = await loopback.send({
      url: `${r.url}/hooks/in?x=1`,
      method: 'PUT',
      headers: { 'X-Custom': 'yes', Host: 'evil.internal', Connection: 'close' },
      body,
      timeoutMs: 2000,
      basicAuth: { user: 'ann', password: 'pä:ss' },
      signing: { id: 'evt_42', secrets },
    });
    expect(result).toMatchObject({ ok: true, httpStatus: 204 });
    const got = r.seen[0];
    expect(got).toMatchObject({ method: 'PUT', url: '/hooks/in?x=1', body });
    expect(got.headers['x-custom']).toBe('yes');
    expect(got.headers['host']).toBe(`127.0.0.1:${r.port}`);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['authorization']).toBe(`Basic ${Buffer.from('ann:pä:ss').toString('base64')}`);
    expect(got.headers['webhook-id']).toBe('evt_42');
    const h = got.headers as Record<string, string>;
    for (const s of secrets) expect(new Webhook(s).verify(got.body, h)).toEqual(JSON.parse(body));
  });

  it('does not follow a redirect (302 to a private address is a failure, the target is never called)', async () => {
    const target = track(await receiver((_req, res) => res.end('should never be reached')));
    const r = track(await receiver((_req, res) => res.writeHead(302, { location: `http://169.254.169.254/latest/meta-data/` }).end()));
    const r2 = track(await receiver((_req, res) => res.writeHead(307, { location: `${target.url}/` }).end()));
    await expect(loopback.send({ url: r.url, body: '{}', timeoutMs: 2000 })).resolves.toMatchObject({ ok: false, httpStatus: 302, errorClass: 'redirect' });
    await expect(loopback.send({ url: r2.url, body: '{}', timeoutMs: 2000 })).resolves.toMatchObject({ ok: false, httpStatus: 307, errorClass: 'redirect' });
    expect(target.seen).toHaveLength(0);
  });

  it('times out a receiver that never answers, within the deadline', async () => {
    const r = track(await receiver(() => undefined));
    const t0 = Date.now();
    const result = await loopback.send({ url: r.url, body: '{}', timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, errorClass: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
  });

  /** A receiver answering `answers` in turn, each as JSON. */
  async function answering(answers: readonly (readonly [status: number, body: string])[]) {
    const r = track(await receiver((_req, res) => {
      const [status, body] = answers[(r.seen.length - 1) % answers.length];
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    }));
    return r;
  }

  it.each<[SuccessContract, string, [status: number, body: string, ok: boolean][]]>([
    ['status-ok', 'HTTP 200 with a JSON body whose status is "OK"', [
      [200, '{"status":"OK"}', true],
      [200, '{"status":"ok"}', false],
      [200, 'OK', false],
      [204, '', false],
    ]],
    ['200', 'exactly HTTP 200, whatever the body; any other 2xx fails', [
      [200, '', true],
      [204, '', false],
      [201, '{"status":"OK"}', false],
    ]],
    ['200-or-204', 'HTTP 200 or 204, whatever the body; any other 2xx fails', [
      [200, '', true],
      [204, '', true],
      [201, '', false],
      [202, '{"status":"OK"}', false],
    ]],
  ])('applies the %s contract: %s', async (successContract, _what, answers) => {
    const r = await answering(answers.map(([status, body]) => [status, body] as const));
    const results = [];
    for (let i = 0; i < answers.length; i++) results.push(await loopback.send({ url: r.url, body: '{}', timeoutMs: 2000, successContract }));
    expect(results.map((x) => [x.httpStatus, x.ok, x.errorClass ?? null])).toEqual(
      answers.map(([status, , ok]) => [status, ok, ok ? null : 'contract']),
    );
  });

  it('verifies an endpoint against the status-ok contract', async () => {
    const r = await answering([
      [200, '{"status":"OK"}'],
      [200, 'OK'],
    ]);
    await expect(loopback.verifyEndpoint(r.url)).resolves.toMatchObject({ ok: true, httpStatus: 200 });
    await expect(loopback.verifyEndpoint(r.url)).resolves.toMatchObject({ ok: false, httpStatus: 200, errorClass: 'contract' });
  });

  it('reports status, Retry-After and at most 4 KB of the answer', async () => {
    const big = 'é'.repeat(50_000);
    const r = track(await receiver((_req, res) => res.writeHead(503, { 'retry-after': '120' }).end(big)));
    const result = await loopback.send({ url: r.url, body: '{}', timeoutMs: 2000 });
    expect(result).toMatchObject({ ok: false, httpStatus: 503, errorClass: 'http_status', retryAfterMs: 120_000 });
    expect(Buffer.byteLength(result.responseExcerpt!, 'utf8')).toBeLessThanOrEqual(4096);
    expect(result.responseExcerpt!.length).toBeGreaterThan(2000);
    expect(result.responseExcerpt!.endsWith('é')).toBe(true);
  });

  it("makes the receiver's text safe to store: NUL and invalid UTF-8 become U+FFFD (issue 12.1)", async () => {
    const answer = Buffer.concat([Buffer.from('oops\u0000bad', 'utf8'), Buffer.from([0xff, 0xfe]), Buffer.from(' ok', 'utf8')]);
    const r = track(await receiver((_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end(answer)));
    const result = await loopback.send({ url: r.url, body: '{}', timeoutMs: 2000 });
    expect(result).toMatchObject({ ok: false, httpStatus: 500, responseExcerpt: 'oops\uFFFDbad\uFFFD\uFFFD ok' });
    expect(JSON.stringify(result)).not.toMatch(/\\u0000|\\ud[89ab]/i);
  });

  it('refuses loopback without the allow-list: literal IPs in any spelling and a name resolving to 127.0.0.1', async () => {
    const r = track(await receiver((_req, res) => res.end('ok')));
    for (const url of [r.url, `http://2130706433:${r.port}/`, `http://0x7f.1:${r.port}/`, `http://[::ffff:127.0.0.1]:${r.port}/`, `http://localhost:${r.port}/`]) {
      await expect(strict.send({ url, body: '{}', timeoutMs: 2000 })).resolves.toMatchObject({ ok: false, errorClass: 'ssrf_refused' });
    }
    expect(r.seen).toHaveLength(0);
    // With the allow-list, the same name connects (to the checked IPv4 address).
    await expect(loopback.send({ url: `http://localhost:${r.port}/`, body: '{}', timeoutMs: 2000 })).resolves.toMatchObject({ ok: true });
  });

  it('classifies refused connections and unknown hosts', async () => {
    const r = await receiver((_req, res) => res.end());
    const { url } = r;
    await r.close();
    await expect(loopback.send({ url, body: '{}', timeoutMs: 2000 })).resolves.toMatchObject({ ok: false, errorClass: 'connection' });
    await expect(loopback.send({ url: 'http://no-such-host.invalid/', body: '{}', timeoutMs: 2000 })).resolves.toMatchObject({
      ok: false,
      errorClass: 'dns',
    });
  });
});

describe('answer helpers', () => {
  it('parses Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('30')).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', Date.parse('Wed, 21 Oct 2026 07:27:00 GMT'))).toBe(60_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('cuts an excerpt at 4 KB on a character boundary', () => {
    const s = `${'a'.repeat(4095)}€tail`;
    expect(excerpt(s)).toBe('a'.repeat(4095));
    expect(excerpt('short')).toBe('short');
  });
});

describe('WebhookSender request building', () => {
  it('reports a request it cannot build (no signing secret) as invalid instead of throwing', async () => {
    const sender = new WebhookSender(new SsrfGuard({ allowCidrs: ['127.0.0.0/8'] }));
    await expect(sender.send({ url: 'http://127.0.0.1:9/', body: '{}', timeoutMs: 500, signing: { id: 'x', secrets: [] } })).resolves.toMatchObject({
      ok: false,
      errorClass: 'invalid',
    });
    await sender.close();
  });
});

describe('WebhookSender loading undici', () => {
  it('loads undici with its first request, not when it is built (the registry holds a sender it rarely uses)', async () => {
    // A process of its own: jest's module registry is not node's, and undici may be loaded here already.
    const script = [
      "const { WebhookSender } = require('./libs/delivery/sending/src/webhook-sender.ts');",
      "const { SsrfGuard } = require('./libs/delivery/ssrf-guard/src/index.ts');",
      'const loaded = () => Object.keys(require.cache).some((f) => /[\\\\/]node_modules[\\\\/]undici[\\\\/]/.test(f));',
      "const sender = new WebhookSender(new SsrfGuard({ allowCidrs: ['127.0.0.0/8'] }));",
      'const built = loaded();',
      "sender.send({ url: 'http://127.0.0.1:9/', body: '{}', timeoutMs: 2000 }).then(async (r) => {",
      '  console.log(JSON.stringify({ built, sent: loaded(), errorClass: r.errorClass }));',
      '  await sender.close();',
      '});',
    ].join('\n');
    const root = path.resolve(__dirname, '..', '..', '..', '..');
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', '-e', script], { cwd: root });
    expect(JSON.parse(stdout.trim().split('\n').pop() ?? '')).toEqual({ built: false, sent: true, errorClass: 'connection' });
  }, 60_000);

  it('a sender closed before its first request refuses to send instead of opening a pool', async () => {
    const sender = new WebhookSender(new SsrfGuard({ allowCidrs: ['127.0.0.0/8'] }));
    await sender.close();
    const result = await sender.send({ url: 'http://127.0.0.1:9/', body: '{}', timeoutMs: 500 });
    expect(result).toMatchObject({ ok: false, errorClass: 'connection' });
    expect(result.errorMessage).toMatch(/closed|destroyed/);
  });
});
