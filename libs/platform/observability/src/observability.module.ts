import {
  DynamicModule,
  Global,
  Injectable,
  Module,
  OnApplicationShutdown,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { defaultLogLevel, logDestination, requestLogSerializers } from './logging';
import { HealthController } from './health.controller';
import { HttpServerMetrics } from './http-metrics';
import { MetricsController, MetricsRegistry } from './metrics';
import { ReadinessRegistry } from './readiness';
import { shutdownTracing, traceFields, tracingStarted } from './tracing';
import { TracingRouteInterceptor } from './tracing-route.interceptor';

export interface ObservabilityOptions {
  service: string;
  logLevel?: string;
}

/**
 * Flushes the spans still buffered once the app has closed: global modules' shutdown hooks run
 * after the others', so consumers and producers have finished their last spans by then.
 */
@Injectable()
export class TracingShutdown implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return shutdownTracing();
  }
}

/**
 * `/health/live`, `/health/ready`, `/metrics` (with `http_server_request_duration_seconds` for
 * every request but probes and scrapes) and JSON request logs, for every service.
 */
@Global()
@Module({})
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpServerMetrics).forRoutes('*');
  }

  static forRoot(opts: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [
        TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }),
        LoggerModule.forRoot({
          // Request logs cost little: one short line per request (method, path, status, time; no
          // headers, so no secrets to redact), written asynchronously in batches.
          pinoHttp: [
            {
              level: opts.logLevel ?? defaultLogLevel(),
              base: { service: opts.service },
              timestamp: () => `,"time":"${new Date().toISOString()}"`,
              formatters: { level: (label: string) => ({ level: label }) },
              // trace_id / span_id of the active span (the request's, or a consumed message's).
              mixin: traceFields,
              autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
              serializers: requestLogSerializers,
            },
            logDestination(),
          ],
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        ReadinessRegistry,
        TracingShutdown,
        // Only where there are spans to name: every request through a global interceptor goes
        // through Nest's rxjs chain (with an AsyncResource.bind per hop), ~5 % of the domain API's
        // CPU per create for nothing when tracing is off. main.ts starts tracing before the module
        // is built, so the service that traces has it.
        ...(tracingStarted() ? [{ provide: APP_INTERCEPTOR, useClass: TracingRouteInterceptor }] : []),
        { provide: MetricsRegistry, useValue: new MetricsRegistry(opts.service) },
        HttpServerMetrics,
      ],
      exports: [ReadinessRegistry, MetricsRegistry],
    };
  }
}
