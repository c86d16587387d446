import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

export const HttpEnv = (defaultPort: number) => z.object({ PORT: port(defaultPort) });

export const LogEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
});

export const KafkaEnv = z.object({
  KAFKA_BROKERS: z
    .string({ error: 'comma-separated host:port list' })
    .min(1)
    .transform((v) => v.split(',').map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')).min(1)),
  /** Prefix for every topic and group name (tests, or two deployments on one cluster). */
  HERALD_KAFKA_NAMESPACE: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,60}$/, 'letters, digits, ".", "_" and "-" only')
    .optional(),
  /** Tests only: create topics with this many partitions instead of the contracts' counts. */
  HERALD_KAFKA_PARTITIONS_OVERRIDE: z.coerce.number().int().min(1).max(64).optional(),
});

export const DatabaseEnv = z.object({
  DATABASE_URL: z
    .string({ error: 'a postgres:// URL' })
    .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
});

/** AES-256-GCM keys for secrets at rest and in snapshots: `kid:base64key[,kid:base64key…]`, first one encrypts. */
export const SecretsEnv = z.object({
  HERALD_SECRETS_KEY: z
    .string({ error: 'kid:base64(32 bytes)[,kid:base64…] or one base64(32 bytes) key' })
    .min(1),
});

export const OtelEnv = z.object({
  // Compose passes an unset variable through as "": that means "no export", not a bad URL.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
});

/** `HERALD_SSRF_ALLOW_CIDRS`: comma-separated CIDRs that the SSRF guard lets through (empty by default). */
export const SsrfEnv = z.object({
  HERALD_SSRF_ALLOW_CIDRS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((c) => c.trim()).filter(Boolean)),
});
