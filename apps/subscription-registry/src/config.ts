import { z } from 'zod';
import { DatabaseEnv, SecretsEnv, SsrfEnv, serviceEnv } from '@herald/platform/config';
import { RegistryLimitsEnv } from '@herald/registry/subscriptions';

export const SERVICE_NAME = 'subscription-registry';

export const RegistryConfigSchema = serviceEnv(3001, {
  ...DatabaseEnv.shape,
  ...SecretsEnv.shape,
  ...SsrfEnv.shape,
  /** Where clients reach this API (OpenAPI servers, dialect resource URLs). */
  HERALD_PUBLIC_BASE_URL: z.url().default('http://localhost:3001'),
  /** How often snapshots not yet acknowledged by Kafka are republished. */
  HERALD_SUBSCRIPTIONS_REPUBLISH_MS: z.coerce.number().int().min(100).max(600_000).default(3_000),
  /**
   * The operator console's built files, served at /console/. Unset: the image's copy beside the
   * compiled registry (dist/apps/subscription-registry/console), else `nx run console:build`'s
   * output (dist/apps/console under the working directory).
   */
  HERALD_CONSOLE_DIR: z.string().min(1).max(1000).optional(),
  ...RegistryLimitsEnv.shape,
});
export type RegistryConfig = z.infer<typeof RegistryConfigSchema>;
