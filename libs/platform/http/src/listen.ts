import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { HERALD_CONFIG } from '@herald/platform/config';

/**
 * An HTTP API service's main: the app with its logger (logs buffered until it is there), shutdown
 * hooks, `configure` (bodies, filters, documents: what the tests share) and the port of its config.
 */
export async function listenHttpApi<C extends { PORT: number }>(
  service: string,
  module: DynamicModule,
  configure: (app: INestApplication, config: C) => void,
): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(module, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const config = app.get<C>(HERALD_CONFIG);
  configure(app, config);
  await app.listen(config.PORT);
  app.get(Logger).log(`${service} listening on :${config.PORT} (docs at /docs, OpenAPI at /openapi.json)`);
}
