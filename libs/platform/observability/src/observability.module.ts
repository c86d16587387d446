import { DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { HealthController } from './health.controller';
import { MetricsController, MetricsRegistry } from './metrics';
import { ReadinessRegistry } from './readiness';

export interface ObservabilityOptions {
  service: string;
  logLevel?: string;
}

/** `/health/live`, `/health/ready`, `/metrics` and JSON request logs, for every service. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(opts: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [
        TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }),
        LoggerModule.forRoot({
          pinoHttp: {
            level: opts.logLevel ?? process.env['LOG_LEVEL'] ?? 'info',
            base: { service: opts.service },
            timestamp: () => `,"time":"${new Date().toISOString()}"`,
            formatters: { level: (label: string) => ({ level: label }) },
            autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
            redact: ['req.headers.authorization', 'req.headers.key', 'req.headers.cookie'],
          },
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [ReadinessRegistry, { provide: MetricsRegistry, useValue: new MetricsRegistry(opts.service) }],
      exports: [ReadinessRegistry, MetricsRegistry],
    };
  }
}
