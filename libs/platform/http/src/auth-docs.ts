import type { OpenAPIObject } from '@nestjs/swagger';

/*
 * How an operation of an OpenAPI document says who may call it and how it refuses everyone
 * else: its `security` requirement (scheme and scopes; OpenAPI 3.1 allows role names for any
 * scheme, and alternatives mean any one of them) and the `x-herald-auth` extension. Each API
 * fills them in from its own table of profiles (by path and method); the security matrix
 * (apps/e2e/src/security-matrix.e2e-spec.ts) reads both from the served documents.
 */

/** One way a request is refused: its HTTP status and, for Worksection's HTTP 200 envelope, its `status_code`. */
export interface AuthFailure {
  status: number;
  statusCode?: number;
}

/**
 * `x-herald-auth` of an operation.
 * - `scopes`: the key needs one of them (empty: any key of the tenant);
 * - `noKey`, `malformedKey`, `revokedKey`: no credentials, credentials that are not a key, a revoked key;
 * - `missingScope`: a valid key of the tenant without any of `scopes` (absent when any key will do);
 * - `otherTenant`: a valid key of another tenant on this operation with this tenant's rows in it,
 *   or `{own: true}` when it names none (the key then acts on its own tenant and sees nothing of this one).
 */
export interface AuthDoc {
  scopes: string[];
  noKey: AuthFailure;
  malformedKey: AuthFailure;
  revokedKey: AuthFailure;
  missingScope?: AuthFailure;
  otherTenant: AuthFailure | { own: true };
}

export interface AuthProfile {
  /** Which operations: by path (and method, when given). */
  path: RegExp;
  method?: string;
  /** Security requirement alternatives: each a set of schemes used together; the first carries the scopes. */
  schemes: string[][];
  /** The profile, or a function of the operation (path, method, the operation's own `x-herald-scope`). */
  auth: AuthDoc | ((path: string, method: string, op: Record<string, unknown>) => AuthDoc);
  /** The body of a refusal, documented for each refusal status the operation does not document itself. */
  error?: { contentType: string; schema: Record<string, unknown> };
}

/** RFC 9457 problem details, as the native APIs answer every error. */
export const PROBLEM_JSON_SCHEMA: Record<string, unknown> = {
  type: 'object',
  description: 'RFC 9457 problem details (application/problem+json).',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
  required: ['type', 'title', 'status', 'detail'],
};

const REFUSALS: Record<number, string> = {
  401: 'Missing, malformed or revoked credentials',
  403: 'The key lacks the scope, or names another tenant',
  404: "No such row in the caller's tenant",
};

export const authFailure = (status: number, statusCode?: number): AuthFailure => (statusCode === undefined ? { status } : { status, statusCode });

/** A row named in the path belongs to the tenant: another tenant's key gets a 404; a collection is its own. */
export const rowOr404 = (path: string): AuthFailure | { own: true } => (/\{[^}]+\}/.test(path) ? authFailure(404) : { own: true });

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/**
 * Sets the security schemes, and `security` and `x-herald-auth` on every operation a profile
 * covers (the first profile that matches). An operation the controllers marked as secured that no
 * profile covers is an error: a new secured route must say how it refuses.
 */
export function documentAuth(document: OpenAPIObject, profiles: readonly AuthProfile[], schemes: Record<string, Record<string, unknown>>): void {
  document.components = { ...document.components, securitySchemes: schemes as unknown as NonNullable<OpenAPIObject['components']>['securitySchemes'] };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Record<string, unknown> | undefined>)[method];
      if (!op) continue;
      const profile = profiles.find((p) => p.path.test(path) && (!p.method || p.method === method));
      if (!profile) {
        if (Array.isArray(op['security']) && op['security'].length) throw new Error(`${method.toUpperCase()} ${path}: secured, but no auth profile says how it refuses`);
        continue;
      }
      const auth = typeof profile.auth === 'function' ? profile.auth(path, method, op) : profile.auth;
      const scopes = auth.scopes.length ? auth.scopes : [undefined];
      op['security'] = profile.schemes.flatMap((set) =>
        scopes.map((scope) => Object.fromEntries(set.map((scheme, i) => [scheme, scope !== undefined && i === 0 ? [scope] : []]))),
      );
      op['x-herald-auth'] = auth;
      delete op['x-herald-scope'];
      if (profile.error) {
        const responses = (op['responses'] ??= {}) as Record<string, unknown>;
        const failures = [auth.noKey, auth.malformedKey, auth.revokedKey, auth.missingScope, 'status' in auth.otherTenant ? auth.otherTenant : undefined];
        for (const f of failures) {
          if (!f || f.status < 400 || responses[String(f.status)]) continue;
          responses[String(f.status)] = { description: REFUSALS[f.status] ?? 'Refused', content: { [profile.error.contentType]: { schema: profile.error.schema } } };
        }
      }
    }
  }
}
