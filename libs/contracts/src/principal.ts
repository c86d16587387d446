import { createHash } from 'node:crypto';
import { z } from 'zod';

export const API_KEY_SCOPES = ['read', 'write', 'webhooks', 'administrative'] as const;
export const ApiKeyScopeSchema = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScopeSchema>;

/**
 * Principals on `herald.principals.v1` (compacted, keyed `tenantId:principalId`): what the
 * subscription registry needs to authenticate its own APIs without reading the domain schema.
 * API keys travel only as hashes.
 */
export const PrincipalSnapshotSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('tenant'),
    tenantId: z.string().min(1),
    slug: z.string().min(1),
    /** The tenant's domain as dialects spell it (e.g. `acme.projectbubble.com`). */
    domain: z.string().min(1),
    name: z.string(),
    updatedAt: z.iso.datetime({ offset: true }),
  }),
  z.object({
    kind: z.literal('user'),
    tenantId: z.string().min(1),
    userId: z.string().min(1),
    fullName: z.string(),
    email: z.string(),
    active: z.boolean(),
    updatedAt: z.iso.datetime({ offset: true }),
  }),
  z.object({
    kind: z.literal('api-key'),
    tenantId: z.string().min(1),
    keyId: z.string().min(1),
    userId: z.string().min(1),
    /** sha256 hex of the whole key (see `hashApiKey`). */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    scopes: z.array(ApiKeyScopeSchema),
    revokedAt: z.iso.datetime({ offset: true }).nullable(),
    updatedAt: z.iso.datetime({ offset: true }),
  }),
]);
export type PrincipalSnapshot = z.infer<typeof PrincipalSnapshotSchema>;

export function principalKey(p: PrincipalSnapshot): string {
  const id = p.kind === 'tenant' ? p.tenantId : p.kind === 'user' ? p.userId : p.keyId;
  return `${p.tenantId}:${p.kind}:${id}`;
}

/**
 * API keys look like `hk_<keyId>_<secret>`: the key id makes lookup O(1), the hash check is
 * constant-time on the holder's side. The key is high-entropy, so a fast hash is enough.
 */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

export function parseApiKey(apiKey: string): { keyId: string } | null {
  const m = /^hk_([A-Za-z0-9]{8,40})_([A-Za-z0-9_-]{20,})$/.exec(apiKey);
  return m ? { keyId: m[1] } : null;
}
