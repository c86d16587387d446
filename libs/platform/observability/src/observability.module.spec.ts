import { APP_INTERCEPTOR } from '@nestjs/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { isolateTracingGlobals } from './testing';

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
  isolateTracingGlobals();

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
