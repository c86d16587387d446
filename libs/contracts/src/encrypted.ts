import { z } from 'zod';

/**
 * A secret encrypted with AES-256-GCM (12-byte IV, 16-byte tag) under a key named by `kid`
 * (see @herald/platform/crypto).
 *
 * `bound: true` marks a value sealed with additional authenticated data naming where it belongs
 * (for a subscription's secrets: `subscriptionSecretAad(tenantId, subscriptionId)`), so a
 * ciphertext copied into another subscription's row does not decrypt. Values without the mark
 * were sealed before binding existed and are opened without AAD; the registry re-seals them,
 * bound, the next time it writes their row.
 */
export const EncryptedValueSchema = z.object({
  kid: z.string().min(1),
  iv: z.string().min(1),
  tag: z.string().min(1),
  ct: z.string(),
  bound: z.literal(true).optional(),
});
export type EncryptedValue = z.infer<typeof EncryptedValueSchema>;

/**
 * The AAD of a subscription's secrets (signing secrets, header values, Authorization, basic-auth
 * password): the registry seals and the dispatcher opens with it.
 */
export function subscriptionSecretAad(tenantId: string, subscriptionId: string): string {
  return `herald.subscription-secret/${tenantId.length}:${tenantId}/${subscriptionId}`;
}
