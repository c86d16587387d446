import type { Logger } from '@nestjs/common';

interface RequestLogger {
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * An error met while answering a request, logged with the request's id, method and path: through
 * the request's own logger (`req.log`, pino-http's, which @herald/platform/observability mounts),
 * as `{ context, msg }` like Nest's Logger writes it; through `logger` where there is none (before
 * a route is chosen, or in an app without request logs).
 */
export function logRequestError(req: unknown, logger: Logger, context: string, message: string): void {
  const log = (req as { log?: Partial<RequestLogger> } | undefined)?.log;
  if (log && typeof log.error === 'function') log.error({ context }, message);
  else logger.error(message);
}
