// First: tracing patches `http` before anything below loads it.
import './tracing';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { HERALD_CONFIG } from '@herald/platform/config';
import { AppModule } from './app.module';
import type { RouterConfig } from './config';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const config = app.get<RouterConfig>(HERALD_CONFIG);
  await app.listen(config.PORT);
  app.get(Logger).log(`event-router listening on :${config.PORT} (health, metrics)`);
}

void bootstrap();
