// Test support for this lib's own specs (not exported: the services' tests use @herald/platform/testing).
import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { context, propagation, trace } from '@opentelemetry/api';
import type { AddressInfo } from 'node:net';
import { ObservabilityModule, type ObservabilityOptions } from './observability.module';

/**
 * A real Nest HTTP server (express) on loopback with `ObservabilityModule`, as the services run
 * it, serving `controllers`: registers the `beforeAll` that starts it and the `afterAll` that
 * closes it; `base` is its URL once started. Logs nothing unless `options` say so.
 */
export function observedApp(service: string, controllers: Type[], options: Partial<ObservabilityOptions> = {}): { readonly base: string } {
  let app: INestApplication | undefined;
  let base: string | undefined;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ObservabilityModule.forRoot({ service, logLevel: 'silent', ...options })],
      controllers,
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
  });
  return {
    get base(): string {
      if (!base) throw new Error('observedApp: not started (use it inside a test)');
      return base;
    },
  };
}

/**
 * For the specs that start tracing: no OTLP endpoint from the environment while they run (it is
 * put back after), and OpenTelemetry's global tracer, context and propagator reset after each test.
 */
export function isolateTracingGlobals(): void {
  const endpoint = process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  beforeAll(() => delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  afterAll(() => {
    if (endpoint !== undefined) process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = endpoint;
  });
  afterEach(() => [trace, context, propagation].forEach((api) => api.disable()));
}
