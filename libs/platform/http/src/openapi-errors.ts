interface Operation {
  requestBody?: unknown;
  parameters?: Array<{ in: string }>;
  responses?: Record<string, unknown>;
  security?: unknown[];
}

interface Document {
  paths: Record<string, object>;
  security?: unknown[];
}

export interface ProblemAnswersOptions {
  /** The problem+json schema the answers carry. */
  problemSchema: object;
  /** Paths whose errors are problem+json (the native API; a dialect answers in its own shape). Default: all. */
  paths?: (path: string) => boolean;
}

const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * The answers every operation of a native API can give besides the ones its decorators name,
 * added to the OpenAPI document from what the operation is (what the problem filter and the body
 * parser really answer): 400 where it reads a body or a query, 413 and 415 where it reads a body,
 * 422 where well-formed input can still be refused, 404 where the path names a row, 409 on
 * writes. An answer the operation documents itself is kept (given the problem schema when it
 * names an error status without a body).
 */
export function documentProblemAnswers(document: Document, o: ProblemAnswersOptions): void {
  const content = { 'application/problem+json': { schema: o.problemSchema } };
  const add = (responses: Record<string, unknown>, status: number, description: string) => {
    if (!responses[String(status)]) responses[String(status)] = { description, content };
  };
  for (const [path, item] of Object.entries(document.paths)) {
    if (o.paths && !o.paths(path)) continue;
    for (const [method, op] of Object.entries(item as Record<string, Operation>)) {
      if (!op || typeof op !== 'object' || !('responses' in op)) continue;
      const responses = (op.responses ??= {});
      const hasQuery = (op.parameters ?? []).some((p) => p.in === 'query');
      const secured = (op.security ?? document.security ?? []).length > 0;
      if (op.requestBody || hasQuery) add(responses, 400, 'Invalid input: it does not match the schema (errors[] names each field)');
      if (op.requestBody) {
        add(responses, 413, 'The request body is larger than the limit');
        add(responses, 415, 'The request body is not application/json');
      }
      if (secured) {
        add(responses, 401, 'Missing or wrong credentials');
        add(responses, 403, 'The key lacks the scope');
      }
      if (secured && (op.requestBody || hasQuery)) add(responses, 422, 'Well-formed input that cannot be carried out (e.g. a reference to a row the tenant does not have)');
      if (secured && path.includes('{')) add(responses, 404, "No such row in the caller's tenant");
      if (secured && WRITE_METHODS.has(method)) add(responses, 409, 'The change conflicts with other rows');
      // An error the decorators name without a body schema is a problem too (the filter answers every one).
      for (const [status, r] of Object.entries(responses)) {
        if (Number(status) >= 400 && r && typeof r === 'object' && !('content' in r)) (r as Record<string, unknown>)['content'] = content;
      }
    }
  }
}
