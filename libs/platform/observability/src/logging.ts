import pino, { type Logger } from 'pino';
import { traceFields } from './tracing';

/** JSON logs with the service name on every line, and `trace_id` / `span_id` inside a trace. */
export function createLogger(service: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
  });
}
