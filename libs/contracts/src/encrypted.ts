import { z } from 'zod';

/** A secret encrypted with AES-256-GCM under a key named by `kid` (see @herald/platform/crypto). */
export const EncryptedValueSchema = z.object({
  kid: z.string().min(1),
  iv: z.string().min(1),
  tag: z.string().min(1),
  ct: z.string(),
});
export type EncryptedValue = z.infer<typeof EncryptedValueSchema>;
