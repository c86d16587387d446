// main.ts imports this first: the OpenTelemetry SDK must patch `http` before Nest, Express and
// the Kafka client load. OTLP export only when OTEL_EXPORTER_OTLP_ENDPOINT is set; no-op otherwise.
import { startTracing } from '@herald/platform/observability/tracing';

startTracing('event-router');
