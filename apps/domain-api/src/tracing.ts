import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

let started = false;

/**
 * W3C trace context for the domain-api: a global tracer provider (async-local context, W3C
 * propagator), exporting over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set. With it, the
 * request's span is the active context when a use case appends to the outbox, so the event's
 * `traceparent` continues the caller's trace into Kafka.
 */
export function startTracing(service: string, otlpEndpoint?: string): void {
  if (started) return;
  started = true;
  const spanProcessors: SpanProcessor[] = otlpEndpoint
    ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` }))]
    : [];
  new NodeTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }), spanProcessors }).register();
}

interface TracedRequest {
  method: string;
  path?: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

interface TracedResponse {
  statusCode: number;
  on(event: 'finish', cb: () => void): void;
}

/** Express middleware: one server span per request, child of the caller's `traceparent` if any. */
export function requestTracing(service: string) {
  const tracer = trace.getTracer(service);
  return (req: TracedRequest, res: TracedResponse, next: () => void): void => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(`${req.method} ${req.path ?? req.url}`, { kind: SpanKind.SERVER }, parent);
    res.on('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
