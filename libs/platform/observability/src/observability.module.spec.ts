import { APP_INTERCEPTOR } from '@nestjs/core';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

type Modules = { tracing: typeof import('./tracing'); observability: typeof import('./observability.module') };

/** Fresh copies of both modules: `startTracing` keeps the first call's result per process. */
function fresh(): Modules {
  let mods: Modules | undefined;
  jest.isolateModules(() => {
    mods = { tracing: jest.requireActual('./tracing'), observability: jest.requireActual('./observability.module') };
  });
  return mods!;
}

const interceptors = (m: Modules) =>
  (m.observability.ObservabilityModule.forRoot({ service: 'svc', logLevel: 'silent' }).providers ?? []).filter(
    (p) => typeof p === 'object' && 'provide' in p && p.provide === APP_INTERCEPTOR,
  );

describe('ObservabilityModule and tracing', () => {
  const endpoint = process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  beforeAll(() => delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  afterAll(() => {
    if (endpoint !== undefined) process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = endpoint;
  });
  afterEach(() => [trace, context, propagation].forEach((api) => api.disable()));

  it('names request spans after their route (a global interceptor) when tracing was started first', () => {
    const m = fresh();
    expect(m.tracing.startTracing('svc', { spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] }).enabled).toBe(true);
    expect(interceptors(m)).toHaveLength(1);
  });

  it('has no global interceptor when tracing is off: no span to name, and no rxjs chain per request', () => {
    const m = fresh();
    expect(m.tracing.startTracing('svc').enabled).toBe(false);
    expect(interceptors(m)).toEqual([]);
  });
});
