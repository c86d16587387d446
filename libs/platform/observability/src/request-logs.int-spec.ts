// Request logs on a real Nest HTTP server (express), as the services run it: every request has its
// pino-http logger (`req.log`, what the error filters log through), and no request runs inside an
// AsyncLocalStorage (nestjs-pino's turned on async hooks for every promise of the process). At the
// default level a request that went well writes no line; one that failed, was refused or was slow does.
import { Controller, Get, HttpException, Param, Req } from '@nestjs/common';
import { storage } from 'nestjs-pino/storage';
import { requestLogLevel } from './logging';
import { observedApp } from './testing';

@Controller('v1/probe')
class ProbeController {
  @Get()
  probe(@Req() req: { log?: { error?: unknown } }): { requestLogger: boolean; boundStore: boolean } {
    return { requestLogger: typeof req.log?.error === 'function', boundStore: storage.getStore() !== undefined };
  }

  @Get('status/:code')
  answer(@Param('code') code: string): { ok: true } {
    if (code !== '200') throw new HttpException({ code }, Number(code));
    return { ok: true };
  }
}

const server = observedApp('request-logs-test', [ProbeController]);

it('gives every request its own logger, without binding it with an AsyncLocalStorage', async () => {
  const res = await fetch(`${server.base}/v1/probe`);
  expect(await res.json()).toEqual({ requestLogger: true, boundStore: false });
});

describe('request log lines at the default level (info)', () => {
  type Line = { level: string; msg: string; req?: { url?: string }; res?: { statusCode?: number } };
  const collect = (lines: Line[]) => ({ write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  const of = (lines: Line[], url: string) => lines.filter((l) => l.req?.url === url).map((l) => [l.level, l.res?.statusCode]);
  const get = async (base: string, p: string) => (await fetch(`${base}${p}`)).arrayBuffer();
  // No request of this test is slow by the first app's measure; every request is by the second's.
  const lines: Line[] = [];
  const logged = observedApp('request-logs-levels', [ProbeController], { logLevel: 'info', slowRequestMs: 600_000, destination: collect(lines) });
  const slowLines: Line[] = [];
  const allSlow = observedApp('request-logs-slow', [ProbeController], { logLevel: 'info', slowRequestMs: 0, destination: collect(slowLines) });

  it('none for a request that went well; one for a refusal (info), a failure (error) and a slow request (warn)', async () => {
    for (const p of ['/v1/probe/status/200', '/v1/probe/status/404', '/v1/probe/status/503']) await get(logged.base, p);
    await get(allSlow.base, '/v1/probe/status/200');
    await new Promise((r) => setTimeout(r, 50)); // the line is written once the response has finished
    expect(of(lines, '/v1/probe/status/200')).toEqual([]);
    expect(of(lines, '/v1/probe/status/404')).toEqual([['info', 404]]);
    expect(of(lines, '/v1/probe/status/503')).toEqual([['error', 503]]);
    expect(of(slowLines, '/v1/probe/status/200')).toEqual([['warn', 200]]);
  });

  it('LOG_LEVEL=debug shows every request: a request that went well is a debug line', () => {
    expect(requestLogLevel({ statusCode: 201, writableFinished: true }, 3, false)).toBe('debug');
    expect(requestLogLevel({ statusCode: 201, writableFinished: false }, 3, false)).toBe('warn');
    expect(requestLogLevel({ statusCode: 201, writableFinished: true }, 3, true)).toBe('error');
  });
});
