// First: tracing patches `http` before anything below loads it.
import './tracing';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { HERALD_CONFIG } from '@herald/platform/config';
import { AppModule } from './app.module';
import { SERVICE_NAME, type DispatcherConfig } from './config';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule.forRoot(), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // SIGTERM/SIGINT: stop fetching, finish (or hand back) in-flight deliveries, commit, exit.
  app.enableShutdownHooks();
  const config = app.get<DispatcherConfig>(HERALD_CONFIG);
  await app.listen(config.PORT);
  app.get(Logger).log(`${SERVICE_NAME} listening on :${config.PORT} (health, metrics)`);
}

void bootstrap();
