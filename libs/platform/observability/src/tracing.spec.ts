import { context, propagation, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { isolateTracingGlobals } from './testing';

type TracingModule = typeof import('./tracing');

/** A fresh copy of the module: `startTracing` keeps the first call's result per process. */
function freshTracing(): TracingModule {
  let mod: TracingModule | undefined;
  jest.isolateModules(() => {
    mod = jest.requireActual<TracingModule>('./tracing');
  });
  return mod!;
}

describe('startTracing', () => {
  isolateTracingGlobals();

  it('without OTEL_EXPORTER_OTLP_ENDPOINT registers nothing: spans are no-ops and carry no context', async () => {
    const tracing = freshTracing();
    const started = tracing.startTracing('svc');
    expect(started.enabled).toBe(false);
    const span = trace.getTracer('t').startSpan('work');
    expect(span.isRecording()).toBe(false);
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), carrier);
    expect(carrier).toEqual({});
    expect(context.with(trace.setSpan(context.active(), span), () => tracing.traceFields())).toEqual({});
    await expect(tracing.shutdownTracing()).resolves.toBeUndefined();
  });

  it('with an exporter: service.name on every span, W3C traceparent, and trace ids for the logs of the active span', async () => {
    // Kept after shutdown (InMemorySpanExporter forgets its spans on shutdown).
    const exported: ReadableSpan[] = [];
    const exporter: SpanExporter = {
      export: (spans, done) => {
        exported.push(...spans);
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: async () => undefined,
    };
    const tracing = freshTracing();
    const started = tracing.startTracing('svc', { spanProcessors: [new SimpleSpanProcessor(exporter)] });
    expect(started.enabled).toBe(true);
    expect(tracing.startTracing('other')).toBe(started); // the first call wins
    expect(tracing.traceFields()).toEqual({});

    const tracer = trace.getTracer('t');
    const { fields, carrier, ids } = await tracer.startActiveSpan('work', async (span) => {
      await new Promise((r) => setImmediate(r)); // the context survives an async hop
      const c: Record<string, string> = {};
      propagation.inject(context.active(), c);
      span.end();
      return { fields: tracing.traceFields(), carrier: c, ids: span.spanContext() };
    });
    expect(fields).toEqual({ trace_id: ids.traceId, span_id: ids.spanId });
    expect(carrier['traceparent']).toBe(`00-${ids.traceId}-${ids.spanId}-01`);
    // Exported once the resource's detected attributes are in; shutdown flushes.
    await tracing.shutdownTracing();
    expect(exported.map((s) => [s.name, s.resource.attributes['service.name']])).toEqual([['work', 'svc']]);
  });
});
