// Request logs on a real Nest HTTP server (express), as the services run it: every request has its
// pino-http logger (`req.log`, what the error filters log through), and no request runs inside an
// AsyncLocalStorage (nestjs-pino's turned on async hooks for every promise of the process).
import { Controller, Get, Req, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { storage } from 'nestjs-pino/storage';
import { ObservabilityModule } from './observability.module';

@Controller('v1/probe')
class ProbeController {
  @Get()
  probe(@Req() req: { log?: { error?: unknown } }): { requestLogger: boolean; boundStore: boolean } {
    return { requestLogger: typeof req.log?.error === 'function', boundStore: storage.getStore() !== undefined };
  }
}

let app: INestApplication;

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({
    imports: [ObservabilityModule.forRoot({ service: 'request-logs-test', logLevel: 'silent' })],
    controllers: [ProbeController],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await app?.close();
});

it('gives every request its own logger, without binding it with an AsyncLocalStorage', async () => {
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const res = await fetch(`http://127.0.0.1:${port}/v1/probe`);
  expect(await res.json()).toEqual({ requestLogger: true, boundStore: false });
});
