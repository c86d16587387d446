import { problem, sendProblem, type ProblemResponse } from './problem-details';

interface PathItems {
  paths: Record<string, object>;
}

interface Route {
  pattern: RegExp;
  methods: Set<string>;
  /** How many segments are parameters: a literal segment wins over a parameter (/v1/webhooks/me over /v1/webhooks/{id}). */
  params: number;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

function routesOf(document: PathItems, include: (path: string) => boolean): Route[] {
  return Object.entries(document.paths).filter(([template]) => include(template)).map(([template, item]) => {
    const source = template
      .split('/')
      .map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const methods = new Set(Object.keys(item).filter((m) => HTTP_METHODS.has(m)).map((m) => m.toUpperCase()));
    if (methods.has('GET')) methods.add('HEAD');
    return { pattern: new RegExp(`^${source}/?$`), methods, params: (template.match(/\{[^}]+\}/g) ?? []).length };
  });
}

/**
 * Express middleware: a request for a path the OpenAPI document has, with a method it does not
 * list there, is answered 405 problem+json with an `Allow` header (instead of the router's 404,
 * which would say the path does not exist). Paths outside the document pass through, and so do
 * those `paths` leaves out (a dialect's routes answer in their own shape).
 */
export function methodNotAllowed(document: PathItems, opts: { paths?: (path: string) => boolean } = {}) {
  const routes = routesOf(document, opts.paths ?? (() => true));
  return (req: { method: string; path?: string; url: string; originalUrl?: string }, res: ProblemResponse, next: () => void): void => {
    const path = req.path ?? req.url.split('?')[0];
    const all = routes.filter((r) => r.pattern.test(path));
    if (all.length === 0 || all.some((r) => r.methods.has(req.method))) return next();
    const fewest = Math.min(...all.map((r) => r.params));
    const matching = all.filter((r) => r.params === fewest);
    const allowed = [...new Set(matching.flatMap((r) => [...r.methods]))].sort();
    res.setHeader('Allow', allowed.join(', '));
    sendProblem(res, problem(405, `${req.method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`, req.originalUrl ?? req.url));
  };
}
