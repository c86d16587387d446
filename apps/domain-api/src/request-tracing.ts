import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from '@opentelemetry/api';

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

/**
 * Express middleware: a server span per request, child of the caller's `traceparent`, where the
 * http instrumentation has not already made one (an app built in-process, as the int tests do;
 * a service started by main.ts has it). With it, the request's span is the active context when
 * a use case appends to the outbox, so the event's `traceparent` continues the caller's trace.
 */
export function requestTracing(service: string) {
  const tracer = trace.getTracer(service);
  return (req: TracedRequest, res: TracedResponse, next: () => void): void => {
    if (trace.getActiveSpan()) return next();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(`${req.method} ${req.path ?? req.url}`, { kind: SpanKind.SERVER }, parent);
    res.on('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
