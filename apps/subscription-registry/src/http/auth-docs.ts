import type { OpenAPIObject } from '@nestjs/swagger';

/*
 * Who may call each operation of the registry's document, and what each way of being refused
 * looks like: the security requirement (scheme and scopes) and the `x-herald-auth` extension,
 * set on every operation from the table below by the path it is on. The security matrix
 * (apps/e2e/src/security-matrix.e2e-spec.ts) reads both from the served document and holds every
 * operation to them; the README's "Security matrix" is this table in words.
 */

type Json = Record<string, unknown>;

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
 * - `otherTenant`: a valid key of another tenant naming this tenant's rows, or `{own: true}` when
 *   the operation names no row (the other tenant's key acts on its own tenant, and sees nothing of this one).
 */
export interface AuthDoc {
  scopes: string[];
  noKey: AuthFailure;
  malformedKey: AuthFailure;
  revokedKey: AuthFailure;
  missingScope?: AuthFailure;
  otherTenant: AuthFailure | { own: true };
}

interface Profile {
  /** Which operations: by path (and method, when given). */
  path: RegExp;
  method?: string;
  /** Security requirement alternatives, scopes filled in from `auth.scopes`. */
  schemes: string[][];
  auth: AuthDoc | ((path: string) => AuthDoc);
}

const s = (status: number, statusCode?: number): AuthFailure => (statusCode === undefined ? { status } : { status, statusCode });
const WEBHOOKS = ['webhooks', 'administrative'];
/** A row named in the path belongs to the tenant: another tenant's key gets 404; a collection is its own. */
const rowOr404 = (path: string): AuthFailure | { own: true } => (/\{[^}]+\}/.test(path) ? s(404) : { own: true });
const native = (path: string): AuthDoc => ({ scopes: WEBHOOKS, noKey: s(401), malformedKey: s(401), revokedKey: s(401), missingScope: s(403), otherTenant: rowOr404(path) });
/** Worksection's refusals are HTTP 200 with status_code 2 ("Invalid hash" / "Invalid token"). */
const WS_AUTH = s(200, 2);

export const SECURITY_SCHEMES: Record<string, Json> = {
  bearer: { type: 'http', scheme: 'bearer', description: 'A Herald API key: hk_<keyId>_<secret>' },
  proprofsKey: { type: 'apiKey', in: 'header', name: 'key', description: 'ProProfs: a Herald API key, with the domain header' },
  proprofsDomain: { type: 'apiKey', in: 'header', name: 'domain', description: "ProProfs: the tenant's domain (or slug), with the key header" },
  worksectionHash: {
    type: 'apiKey',
    in: 'query',
    name: 'hash',
    description: "Worksection admin API: md5(<query string without hash> + <the tenant's admin API key>), hex (npm run -s herald -- worksection:admin-key)",
  },
};

const PROFILES: Profile[] = [
  { path: /^\/v1\/(webhooks|deliveries)(\/|$)/, schemes: [['bearer']], auth: native },
  {
    path: /^\/v2\/hooks(\/|$)/,
    schemes: [['proprofsKey', 'proprofsDomain']],
    // ProProfs answers 401 for "Authentication/Permission issue": a key without the scope too.
    auth: (path) => ({ scopes: WEBHOOKS, noKey: s(401), malformedKey: s(401), revokedKey: s(401), missingScope: s(401), otherTenant: rowOr404(path) }),
  },
  {
    path: /^\/api\/admin\/v2$/,
    schemes: [['worksectionHash']],
    // The hash names the tenant: another tenant's admin key acts on its own account.
    auth: { scopes: [], noKey: WS_AUTH, malformedKey: WS_AUTH, revokedKey: WS_AUTH, otherTenant: { own: true } },
  },
  {
    path: /^\/api\/(oauth2$|settings\/webhooks)/,
    schemes: [['bearer']],
    // Hook ids are the tenant's own: another tenant's key finds no such webhook (status_code 5).
    auth: (path) => ({
      scopes: ['administrative'],
      noKey: WS_AUTH,
      malformedKey: WS_AUTH,
      revokedKey: WS_AUTH,
      missingScope: WS_AUTH,
      otherTenant: /\{id\}/.test(path) ? s(200, 5) : { own: true },
    }),
  },
  // Any key of the tenant may learn its company id.
  { path: /^\/rest\/v1\.0\/companies$/, schemes: [['bearer']], auth: { scopes: [], noKey: s(401), malformedKey: s(401), revokedKey: s(401), otherTenant: { own: true } } },
  {
    path: /^\/rest\/v[12]\.0\//,
    schemes: [['bearer']],
    // Every Procore call names its company (company_id, or the path): another company's is a 403.
    auth: { scopes: WEBHOOKS, noKey: s(401), malformedKey: s(401), revokedKey: s(401), missingScope: s(403), otherTenant: s(403) },
  },
  // Deleting all of the tenant's PPM Express webhooks needs the administrative scope.
  {
    path: /^\/@\{tenant\}\/\{apiVersion\}\/Webhooks$/,
    method: 'delete',
    schemes: [['bearer']],
    auth: { scopes: ['administrative'], noKey: s(401), malformedKey: s(401), revokedKey: s(401), missingScope: s(403), otherTenant: s(401) },
  },
  // The tenant is in the path: another tenant's token is a 401 ("does not belong to tenant").
  { path: /^\/@\{tenant\}\/\{apiVersion\}\/Webhooks/, schemes: [['bearer']], auth: { scopes: [], noKey: s(401), malformedKey: s(401), revokedKey: s(401), otherTenant: s(401) } },
];

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/**
 * Sets `security` (scopes as OpenAPI 3.1 allows for any scheme) and `x-herald-auth` on every
 * operation a profile covers, and the security schemes. An operation the controllers marked as
 * secured that no profile covers is an error: a new secured route must say how it refuses.
 */
export function documentAuth(document: OpenAPIObject): void {
  document.components = { ...document.components, securitySchemes: { ...document.components?.securitySchemes, ...(SECURITY_SCHEMES as Record<string, never>) } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Json | undefined>)[method];
      if (!op) continue;
      const profile = PROFILES.find((p) => p.path.test(path) && (!p.method || p.method === method));
      if (!profile) {
        if (Array.isArray(op['security']) && op['security'].length) throw new Error(`${method.toUpperCase()} ${path}: secured, but no auth profile in auth-docs.ts`);
        continue;
      }
      const auth = typeof profile.auth === 'function' ? profile.auth(path) : profile.auth;
      const scopes = auth.scopes.length ? auth.scopes : [undefined];
      op['security'] = profile.schemes.flatMap((schemes) =>
        scopes.map((scope) => Object.fromEntries(schemes.map((scheme, i) => [scheme, scope !== undefined && i === 0 ? [scope] : []]))),
      );
      op['x-herald-auth'] = auth;
    }
  }
}
