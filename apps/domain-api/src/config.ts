import { z } from 'zod';
import { DatabaseEnv, OtelEnv, serviceEnv } from '@herald/platform/config';
import { OutboxEnv } from '@herald/domain/outbox';

export const SERVICE_NAME = 'domain-api';

export const DomainApiConfigSchema = serviceEnv(3000, {
  ...DatabaseEnv.shape,
  ...OutboxEnv.shape,
  ...OtelEnv.shape,
  /** Where clients reach this API (OpenAPI servers, resource URLs). */
  HERALD_PUBLIC_BASE_URL: z.url().default('http://localhost:3000'),
  /** How often principals not yet acknowledged by Kafka are republished. */
  HERALD_PRINCIPALS_REPUBLISH_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /**
   * How long an API key's row, read to authenticate one request, also authenticates the next ones
   * with that key on this replica (ms; 0: read for every request). A change made through this
   * replica (a revocation, a deactivation) is seen at once; one made through another replica or
   * the CLI within this time.
   */
  HERALD_API_KEY_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
});
export type DomainApiConfig = z.infer<typeof DomainApiConfigSchema>;
