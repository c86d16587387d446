import type { OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, PROBLEM_JSON_SCHEMA, authFailure, documentAuth as applyProfiles, rowOr404, type AuthProfile } from '@herald/platform/http';

/*
 * Who may call each operation of the domain API's document and how it refuses (security with
 * scopes, x-herald-auth; see @herald/platform/http auth-docs). The scope is the guard's: what
 * @RequiresScope names (its x-herald-scope), else read for GET and write for the rest. A key is
 * sent as a Bearer token or as ProProfs' key + domain headers.
 */

export const SECURITY_SCHEMES: Record<string, Record<string, unknown>> = {
  bearer: { type: 'http', scheme: 'bearer', description: 'A Herald API key: hk_<keyId>_<secret>' },
  proprofsKey: { type: 'apiKey', in: 'header', name: 'key', description: 'ProProfs style: a Herald API key, with the domain header' },
  proprofsDomain: { type: 'apiKey', in: 'header', name: 'domain', description: "ProProfs style: the key's tenant's domain (or slug), with the key header" },
};

const PROFILES: AuthProfile[] = [
  {
    path: /^\/v[12]\//,
    schemes: [['bearer'], ['proprofsKey', 'proprofsDomain']],
    auth: (path, method, op) => ({
      scopes: [typeof op['x-herald-scope'] === 'string' ? op['x-herald-scope'] : method === 'get' || method === 'head' ? 'read' : 'write'],
      noKey: authFailure(401),
      malformedKey: authFailure(401),
      revokedKey: authFailure(401),
      missingScope: authFailure(403),
      otherTenant: rowOr404(path),
    }),
    error: { contentType: PROBLEM_CONTENT_TYPE, schema: PROBLEM_JSON_SCHEMA },
  },
];

/** Security schemes, and every operation's scope and x-herald-auth. */
export function documentAuth(document: OpenAPIObject): void {
  applyProfiles(document, PROFILES, SECURITY_SCHEMES);
}
