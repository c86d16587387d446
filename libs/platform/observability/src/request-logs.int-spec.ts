// Request logs on a real Nest HTTP server (express), as the services run it: every request has its
// pino-http logger (`req.log`, what the error filters log through), and no request runs inside an
// AsyncLocalStorage (nestjs-pino's turned on async hooks for every promise of the process).
import { Controller, Get, Req } from '@nestjs/common';
import { storage } from 'nestjs-pino/storage';
import { observedApp } from './testing';

@Controller('v1/probe')
class ProbeController {
  @Get()
  probe(@Req() req: { log?: { error?: unknown } }): { requestLogger: boolean; boundStore: boolean } {
    return { requestLogger: typeof req.log?.error === 'function', boundStore: storage.getStore() !== undefined };
  }
}

const server = observedApp('request-logs-test', [ProbeController]);

it('gives every request its own logger, without binding it with an AsyncLocalStorage', async () => {
  const res = await fetch(`${server.base}/v1/probe`);
  expect(await res.json()).toEqual({ requestLogger: true, boundStore: false });
});
