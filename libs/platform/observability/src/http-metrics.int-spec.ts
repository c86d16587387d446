// http_server_request_duration_seconds on a real Nest HTTP server (express), as the two APIs run
// it: the route template as `http_route` (never the raw path), method and status code as
// labels, server errors and unmatched paths counted, probes and scrapes not.
import { Controller, Get, HttpException, Param, Post } from '@nestjs/common';
import { observedApp } from './testing';

@Controller('v1/things')
class ThingsController {
  @Get(':id')
  get(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Post()
  fail(): never {
    throw new HttpException('boom', 503);
  }

  @Get(':id/crash')
  crash(): never {
    throw new Error('unexpected');
  }
}

const server = observedApp('http-metrics-test', [ThingsController]);

/** `count` of the series with exactly these labels (besides service), from /metrics. */
async function count(labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${server.base}/metrics`)).text();
  const wanted = Object.entries({ ...labels, service: 'http-metrics-test' })
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  for (const line of text.split('\n')) {
    const m = /^http_server_request_duration_seconds_count\{([^}]*)\} (\d+)/.exec(line);
    if (m && m[1].split(',').sort().join(',') === wanted.join(',')) return Number(m[2]);
  }
  return 0;
}

describe('http_server_request_duration_seconds', () => {
  it('is a histogram with the semantic conventions buckets', async () => {
    const text = await (await fetch(`${server.base}/metrics`)).text();
    expect(text).toContain('# TYPE http_server_request_duration_seconds histogram');
  });

  it('labels requests with the route template, method and status, never the raw path', async () => {
    for (const id of ['a', 'b', 'c'])
      expect((await fetch(`${server.base}/v1/things/${id}?x=${id}`)).status).toBe(200);
    expect(
      await count({
        http_request_method: 'GET',
        http_route: '/v1/things/:id',
        http_response_status_code: '200',
      }),
    ).toBe(3);
    const text = await (await fetch(`${server.base}/metrics`)).text();
    expect(text).not.toMatch(/http_route="\/v1\/things\/a/);
  });

  it('counts 5xx answers (thrown HttpException and unexpected errors) and 404s of no route', async () => {
    expect((await fetch(`${server.base}/v1/things`, { method: 'POST' })).status).toBe(503);
    expect((await fetch(`${server.base}/v1/things/x/crash`)).status).toBe(500);
    expect((await fetch(`${server.base}/nowhere/${'z'.repeat(50)}`)).status).toBe(404);
    expect(
      await count({
        http_request_method: 'POST',
        http_route: '/v1/things',
        http_response_status_code: '503',
      }),
    ).toBe(1);
    expect(
      await count({
        http_request_method: 'GET',
        http_route: '/v1/things/:id/crash',
        http_response_status_code: '500',
      }),
    ).toBe(1);
    expect(
      await count({ http_request_method: 'GET', http_route: '', http_response_status_code: '404' }),
    ).toBe(1);
  });

  it('leaves out probes and scrapes, and folds unknown methods into _OTHER', async () => {
    await fetch(`${server.base}/health/live`);
    await fetch(`${server.base}/health/ready`);
    const text = await (await fetch(`${server.base}/metrics`)).text();
    expect(text).not.toMatch(/http_route="\/(health|metrics)/);
    expect(text).not.toMatch(
      /http_server_request_duration_seconds_count\{[^}]*http_route=""[^}]*http_response_status_code="(200|503)"/,
    );
    const res = await fetch(`${server.base}/v1/things/a`, { method: 'PROPFIND' });
    expect(res.status).toBe(404);
    expect(
      await count({
        http_request_method: '_OTHER',
        http_route: '',
        http_response_status_code: '404',
      }),
    ).toBe(1);
  });
});
