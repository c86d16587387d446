import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import type { Observable } from 'rxjs';

/**
 * Names the request's server span after its route (`POST /v1/tasks/:id/complete`) and sets
 * `http.route`: the http instrumentation only knows the method, Express knows the route once it
 * matched. A no-op when tracing is off (no active span).
 */
@Injectable()
export class TracingRouteInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() === 'http') {
      const span = trace.getActiveSpan();
      const req = ctx.switchToHttp().getRequest<{ method?: string; route?: { path?: unknown } }>();
      const route = req.route?.path;
      if (span?.isRecording() && typeof route === 'string') {
        span.setAttribute('http.route', route);
        span.updateName(`${req.method ?? 'HTTP'} ${route}`);
      }
    }
    return next.handle();
  }
}
