import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/**
 * W3C trace context for the dispatcher: each attempt is a client span, child of the change's
 * `traceparent` (carried on the delivery), and the outcome and retry-tier messages it writes
 * carry that span on. Spans are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
export function startTracing(service: string, otlpEndpoint?: string): void {
  const spanProcessors: SpanProcessor[] = otlpEndpoint
    ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` }))]
    : [];
  new NodeTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }), spanProcessors }).register();
}
