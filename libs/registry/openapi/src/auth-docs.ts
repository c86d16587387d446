import type { OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, PROBLEM_JSON_SCHEMA, authFailure as s, documentAuth as applyProfiles, rowOr404, type AuthDoc, type AuthProfile } from '@herald/platform/http';

/*
 * Who may call each operation of the registry's document, and what each way of being refused
 * looks like: the security requirement (scheme and scopes) and the `x-herald-auth` extension,
 * set on every operation from the table below by the path it is on. The security matrix
 * (apps/e2e/src/security-matrix.e2e-spec.ts) reads both from the served document and holds every
 * operation to them; the README's "Security matrix" is this table in words.
 */

const WEBHOOKS = ['webhooks', 'administrative'];
const native = (path: string): AuthDoc => ({ scopes: WEBHOOKS, noKey: s(401), malformedKey: s(401), revokedKey: s(401), missingScope: s(403), otherTenant: rowOr404(path) });
/** Worksection's refusals are HTTP 200 with status_code 2 ("Invalid hash" / "Invalid token"). */
const WS_AUTH = s(200, 2);

export const SECURITY_SCHEMES: Record<string, Record<string, unknown>> = {
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

const PROFILES: AuthProfile[] = [
  { path: /^\/v1\/(webhooks|deliveries)(\/|$)/, schemes: [['bearer']], auth: native, error: { contentType: PROBLEM_CONTENT_TYPE, schema: PROBLEM_JSON_SCHEMA } },
  {
    path: /^\/v2\/hooks(\/|$)/,
    schemes: [['proprofsKey', 'proprofsDomain']],
    // ProProfs answers 401 for "Authentication/Permission issue": a key without the scope too.
    auth: (path) => ({ scopes: WEBHOOKS, noKey: s(401), malformedKey: s(401), revokedKey: s(401), missingScope: s(401), otherTenant: rowOr404(path) }),
  },
  {
    path: /^\/api\/admin\/v2$/,
    schemes: [['worksectionHash']],
    // The Host names the account; another account's admin key does not sign for it.
    auth: { scopes: [], noKey: WS_AUTH, malformedKey: WS_AUTH, revokedKey: WS_AUTH, otherTenant: WS_AUTH },
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
  // The tenant is in the path: another tenant's token is a 401 ("does not belong to tenant"); as natively, webhooks or administrative.
  {
    path: /^\/@\{tenant\}\/\{apiVersion\}\/Webhooks/,
    schemes: [['bearer']],
    auth: { scopes: WEBHOOKS, noKey: s(401), malformedKey: s(401), revokedKey: s(401), missingScope: s(403), otherTenant: s(401) },
  },
];

/** Security schemes, and every operation's scopes and x-herald-auth from the table above. */
export function documentAuth(document: OpenAPIObject): void {
  applyProfiles(document, PROFILES, SECURITY_SCHEMES);
}
