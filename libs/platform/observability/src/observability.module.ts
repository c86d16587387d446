import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationShutdown,
  RequestMethod,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { pinoHttp, type Options as HttpLoggerOptions } from 'pino-http';
import { SLOW_REQUEST_MS, defaultLogLevel, logDestination, requestLogLevel, requestLogSerializers } from './logging';
import { HealthController } from './health.controller';
import { HttpServerMetrics } from './http-metrics';
import { MetricsController, MetricsRegistry } from './metrics';
import { ReadinessRegistry } from './readiness';
import { shutdownTracing, traceFields, tracingStarted } from './tracing';
import { TracingRouteInterceptor } from './tracing-route.interceptor';

/** The request-log middleware (pino-http): a line per request at its level (requestLogLevel), `req.log` for what logs inside it. */
const REQUEST_LOGGER = Symbol('herald:request-logger');
/** When the request reached the request logger (ms since the epoch): how slow it was. */
const STARTED = Symbol('herald:request-started');

type Middleware = (req: object, res: object, next: () => void) => void;

export interface ObservabilityOptions {
  service: string;
  logLevel?: string;
  /** A request slower than this (ms) is logged at `warn`; default SLOW_REQUEST_MS. */
  slowRequestMs?: number;
  /** Where log lines go; default stdout, asynchronously (logDestination). */
  destination?: DestinationStream;
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
  constructor(@Inject(REQUEST_LOGGER) private readonly requestLogger: Middleware) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(this.requestLogger).forRoutes({ path: '*', method: RequestMethod.ALL });
    consumer.apply(HttpServerMetrics).forRoutes('*');
  }

  static forRoot(opts: ObservabilityOptions): DynamicModule {
    // Request logs cost little: one short line per request (method, path, status, time; no
    // headers, so no secrets to redact), written asynchronously in batches, at a level by outcome:
    // at the default level, only the requests that failed, were refused or were slow.
    const slowMs = opts.slowRequestMs ?? SLOW_REQUEST_MS;
    const requestLogOptions: HttpLoggerOptions = {
      level: opts.logLevel ?? defaultLogLevel(),
      base: { service: opts.service },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label: string) => ({ level: label }) },
      // trace_id / span_id of the active span (the request's, or a consumed message's).
      mixin: traceFields,
      // originalUrl: Express trims the path a middleware is mounted at from `url`.
      autoLogging: { ignore: (req) => /^\/(health|metrics)/.test((req as { originalUrl?: string }).originalUrl ?? req.url ?? '') },
      serializers: requestLogSerializers,
      // The serializers above read the request and response themselves: without this, pino-http
      // first copies each into pino-std-serializers' shape (headers, query — which Express parses
      // on each read —, remote address), for every request's child logger, logged or not.
      wrapSerializers: false,
      customLogLevel: (req, res, err) =>
        requestLogLevel(res, Date.now() - ((req as { [STARTED]?: number })[STARTED] ?? Date.now()), Boolean(err ?? (res as { err?: unknown }).err), slowMs),
    };
    const destination = opts.destination ?? logDestination();
    const requestLogger = pinoHttp(requestLogOptions, destination);
    return {
      module: ObservabilityModule,
      imports: [
        TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }),
        // Nest's Logger (app.useLogger) writes pino lines, but is not bound to the request: nestjs-pino
        // binds it with an AsyncLocalStorage per request, which on Node 20 turns on async hooks for
        // every promise of the process from the first request on (~5 % of the domain API's CPU per
        // create). The request logger below is mounted instead; what logs inside a request with its
        // context (the error filters of @herald/platform/http) logs through `req.log`.
        LoggerModule.forRoot({ pinoHttp: [requestLogOptions, destination], useExisting: true, forRoutes: [] }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        {
          provide: REQUEST_LOGGER,
          useValue: ((req, res, next) => {
            (req as { [STARTED]?: number })[STARTED] = Date.now();
            requestLogger(req as never, res as never, next);
          }) satisfies Middleware,
        },
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
