import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics';

/**
 * OpenTelemetry's `http.server.request.duration` (semantic conventions 1.x, unit seconds) as
 * Prometheus names it: `http_server_request_duration_seconds`, a histogram labelled with
 * `http_request_method`, `http_route` (the matched route template, never the raw path) and
 * `http_response_status_code`, plus the service label every metric carries.
 */
export const HTTP_SERVER_DURATION = 'http_server_request_duration_seconds';

/** The semantic conventions' advised boundaries for this metric. */
export const HTTP_SERVER_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);
/** Probes and scrapes are not traffic: a readiness 503 must not count as a server error. */
const NOT_TRAFFIC = /^\/(health|metrics)(\/|$|\?)/;

const ROOT_CATCH_ALL = /^\/?(\{\*\w*\}|\*\w*|\(\.\*\))$/;

interface RoutedRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: unknown };
}

/**
 * The route template the request matched (`/v1/tasks/:id`), or '' when none did (a 404 from
 * no route): the label must stay low-cardinality, so the raw path is never used.
 */
export function routeOf(req: RoutedRequest): string {
  const path = req.route?.path;
  // Nest mounts middleware for every path as a root catch-all route (`/{*path}`): still being
  // that route when the response goes out means no controller route matched.
  if (typeof path !== 'string' || ROOT_CATCH_ALL.test(path)) return '';
  return `${req.baseUrl ?? ''}${path}` || '/';
}

/** Records every request but probes and scrapes when its response has been sent. */
@Injectable()
export class HttpServerMetrics implements NestMiddleware {
  private readonly duration: Histogram<
    'http_request_method' | 'http_route' | 'http_response_status_code'
  >;

  constructor(metrics: MetricsRegistry) {
    this.duration = metrics.histogram({
      name: HTTP_SERVER_DURATION,
      help: 'Duration of HTTP server requests (OpenTelemetry http.server.request.duration), by method, route template and status code',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
      buckets: HTTP_SERVER_DURATION_BUCKETS,
    });
  }

  use(
    req: RoutedRequest,
    res: { statusCode: number; once(event: 'finish', listener: () => void): unknown },
    next: () => void,
  ): void {
    if (NOT_TRAFFIC.test(req.originalUrl ?? req.url ?? '')) return next();
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const method = (req.method ?? '').toUpperCase();
      this.duration.observe(
        {
          http_request_method: KNOWN_METHODS.has(method) ? method : '_OTHER',
          http_route: routeOf(req),
          http_response_status_code: String(res.statusCode),
        },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  }
}
