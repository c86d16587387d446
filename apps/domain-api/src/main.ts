// First: tracing patches `http` before anything below loads it.
import './tracing';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { HERALD_CONFIG } from '@herald/platform/config';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';
import type { DomainApiConfig } from './config';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule.forRoot(), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const config = app.get<DomainApiConfig>(HERALD_CONFIG);
  configureApp(app, config);
  await app.listen(config.PORT);
  app.get(Logger).log(`domain-api listening on :${config.PORT} (docs at /docs, OpenAPI at /openapi.json)`);
}

void bootstrap();
