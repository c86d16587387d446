import { MethodNotAllowedException } from '@nestjs/common';
import type { ApiErrorFilter } from './api-error.filter';
import { problem, sendProblem, type ProblemResponse } from './problem-details';

interface PathItems {
  paths: Record<string, object>;
}

interface Route {
  pattern: RegExp;
  methods: Set<string>;
  /** How many segments are parameters: a literal segment wins over a parameter (/v1/webhooks/me over /v1/webhooks/{id}). */
  params: number;
  /** The document's path template (`/v1/webhooks/{id}`). */
  template: string;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

function routesOf(document: PathItems, include: (path: string) => boolean): Route[] {
  return Object.entries(document.paths).filter(([template]) => include(template)).map(([template, item]) => {
    // A parameter may be a whole segment or part of one (PPM Express' /@{tenant}/…).
    const source = template
      .split(/(\{[^}]+\})/)
      .map((piece) => (/^\{[^}]+\}$/.test(piece) ? '[^/]+' : piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    const methods = new Set(Object.keys(item).filter((m) => HTTP_METHODS.has(m)).map((m) => m.toUpperCase()));
    if (methods.has('GET')) methods.add('HEAD');
    return { pattern: new RegExp(`^${source}/?$`), methods, params: (template.match(/\{[^}]+\}/g) ?? []).length, template };
  });
}

/**
 * Express middleware: a request for a path the OpenAPI document has, with a method it does not
 * list there, is answered 405 problem+json with an `Allow` header (instead of the router's 404,
 * which would say the path does not exist). Paths outside the document pass through, and so do
 * those `paths` leaves out (a dialect's routes answer in their own shape).
 */
export function methodNotAllowed(
  document: PathItems,
  opts: {
    paths?: (path: string) => boolean;
    /** The filter of the API a request path belongs to, when it answers in its own shape (a dialect); else problem+json. */
    apiOf?: (path: string) => ApiErrorFilter | undefined;
  } = {},
) {
  const routes = routesOf(document, opts.paths ?? (() => true));
  // A path that is a parameter-free template (`/v1/tasks`) and one of its methods: allowed, without
  // testing every template's pattern (most requests).
  const literal = new Map(routes.filter((r) => r.params === 0).map((r) => [r.template, r.methods]));
  return (req: { method: string; path?: string; url: string; originalUrl?: string }, res: ProblemResponse, next: () => void): void => {
    const path = req.path ?? req.url.split('?')[0];
    if (literal.get(path)?.has(req.method)) return next();
    const all = routes.filter((r) => r.pattern.test(path));
    if (all.length === 0 || all.some((r) => r.methods.has(req.method))) return next();
    const fewest = Math.min(...all.map((r) => r.params));
    const matching = all.filter((r) => r.params === fewest);
    const allowed = [...new Set(matching.flatMap((r) => [...r.methods]))].sort();
    res.setHeader('Allow', allowed.join(', '));
    const detail = `${req.method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`;
    const api = opts.apiOf?.(path);
    if (!api) return sendProblem(res, problem(405, detail, req.originalUrl ?? req.url));
    const answer = api.answerTo(new MethodNotAllowedException(detail));
    res.status(answer.status).type('application/json').send(JSON.stringify(answer.body));
  };
}
