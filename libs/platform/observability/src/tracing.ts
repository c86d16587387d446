// No Nest here: each app's `src/tracing.ts` imports this before anything else loads, so that
// the http instrumentation patches `http` before Express and the Kafka client are required.
import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SECRET_QUERY_PARAMS } from './redact-url';

// The SDK (its exporters, instrumentations and what they pull in: ~25 MB of a service's resident
// memory) is loaded only when tracing is on; the API above is all a service needs otherwise.
const load = createRequire(__filename);

export interface Tracing {
  /** True when spans are recorded and exported (OTEL_EXPORTER_OTLP_ENDPOINT was set). */
  readonly enabled: boolean;
  /** Ends the SDK: exports what is still buffered. Resolves at once when tracing is off. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Default: env OTEL_EXPORTER_OTLP_ENDPOINT (OTLP/HTTP JSON, `<endpoint>/v1/traces`). */
  endpoint?: string;
  /** Instead of the OTLP exporter (tests). Tracing is on when this or an endpoint is given. */
  spanProcessors?: SpanProcessor[];
}

const SHUTDOWN_DEADLINE_MS = 5_000;
const OFF: Tracing = { enabled: false, shutdown: async () => undefined };
let current: Tracing | undefined;

/** Health probes and scrapes are not what an operator traces. */
const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * OpenTelemetry for one service: the Node SDK with the http instrumentation (a server span per
 * incoming Express request, a client span per outgoing `http` call), the W3C trace-context
 * propagator, `service.name` (plus OTEL_RESOURCE_ATTRIBUTES), and OTLP/HTTP export batched by
 * OTEL_BSP_* — only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Otherwise nothing is registered:
 * the API stays a no-op, and the Kafka consumers and the dispatcher pass a message's
 * `traceparent` on unchanged, so a trace begun upstream still reaches what Herald produces.
 * Idempotent: the first call wins.
 */
export function startTracing(serviceName: string, opts: TracingOptions = {}): Tracing {
  if (current) return current;
  const endpoint = opts.endpoint ?? (process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] || undefined);
  if (!endpoint && !opts.spanProcessors) return (current = OFF);
  const { W3CTraceContextPropagator } = load('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { OTLPTraceExporter } = load('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { HttpInstrumentation } = load('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { NodeSDK } = load('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { BatchSpanProcessor } = load('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const spanProcessors = opts.spanProcessors ?? [
    // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT / _TRACES_ENDPOINT and _HEADERS itself;
    // an explicit endpoint (not from env) gets the signal path the spec appends.
    new BatchSpanProcessor(new OTLPTraceExporter(opts.endpoint ? { url: `${opts.endpoint.replace(/\/$/, '')}/v1/traces` } : {})),
  ];
  const sdk = new NodeSDK({
    serviceName,
    spanProcessors,
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.test(req.url ?? ''),
        // url.query / url.full: the instrumentation's own list and every credential parameter of the logs.
        redactedQueryParams: [
          ...['sig', 'Signature', 'AWSAccessKeyId', 'X-Goog-Signature'],
          ...SECRET_QUERY_PARAMS.flatMap((n) => [n, n.toUpperCase(), n[0].toUpperCase() + n.slice(1)]),
        ],
      }),
    ],
    // Traces only: metrics are Prometheus (/metrics), logs are pino on stdout.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  let stopped: Promise<void> | undefined;
  current = {
    enabled: true,
    // Bounded: an unreachable collector must not eat the termination grace period.
    shutdown: () => (stopped ??= withDeadline(sdk.shutdown(), SHUTDOWN_DEADLINE_MS)),
  };
  return current;
}

/** Whether `startTracing` has started the SDK in this process (false before it is called). */
export function tracingStarted(): boolean {
  return current?.enabled === true;
}

/** Ends tracing started by `startTracing` (flushes the spans still buffered). */
export function shutdownTracing(): Promise<void> {
  return current?.shutdown() ?? Promise.resolve();
}

/** `trace_id` and `span_id` of the active span, for a log line (empty outside any trace). */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (!ctx || !trace.isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}

/** Resolves when `p` settles or after `ms`, whichever comes first; never rejects. */
async function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
