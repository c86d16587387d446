import { accessSync, constants, readFileSync } from 'node:fs';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

export const HttpEnv = (defaultPort: number) => z.object({ PORT: port(defaultPort) });

export const LogEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
});

/** A PEM file that exists, is readable, and holds a `-----BEGIN <label>-----` block. */
const pemFile = (what: string, label: RegExp) =>
  z
    .string()
    .min(1, `the path of a PEM file with ${what}`)
    .superRefine((file, ctx) => {
      try {
        accessSync(file, constants.R_OK);
      } catch (e) {
        ctx.addIssue({
          code: 'custom',
          message: `cannot read ${what} there (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        });
        return;
      }
      const text = readFileSync(file, 'utf8');
      if (!new RegExp(`-----BEGIN ${label.source}-----`).test(text))
        ctx.addIssue({
          code: 'custom',
          message: `not a PEM file with ${what} (no "-----BEGIN …-----" block of that kind)`,
        });
    })
    .optional();

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export const KafkaEnv = z.object({
  KAFKA_BROKERS: z
    .string({ error: 'comma-separated host:port list' })
    .min(1)
    .transform((v) =>
      v
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')).min(1)),
  /** Prefix for every topic and group name (tests, or two deployments on one cluster). */
  HERALD_KAFKA_NAMESPACE: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,60}$/, 'letters, digits, ".", "_" and "-" only')
    .optional(),
  /** Tests only: create topics with this many partitions instead of the contracts' counts. */
  HERALD_KAFKA_PARTITIONS_OVERRIDE: z.coerce.number().int().min(1).max(64).optional(),
  /**
   * Compression of everything a service produces (deliveries, retries, outcomes, dead letters,
   * snapshots, principals, the outbox relay's changes). The broker's message size limit applies
   * to what it receives, so a delivery the router sent compressed must be re-produced compressed
   * by the dispatcher. gzip is built into kafkajs; lz4 (LZ4 frames, Kafka's own LZ4 format) is
   * registered by @herald/platform/kafka from the lz4-napi package, so every service reads it
   * whatever it writes itself (snappy and zstd: no codec shipped).
   */
  HERALD_KAFKA_COMPRESSION: z.enum(['gzip', 'lz4', 'none'], { error: 'gzip, lz4 or none' }).default('gzip'),
  /**
   * TLS to the brokers. `true` with no CA file trusts the system's CAs (MSK, Confluent Cloud);
   * any KAFKA_SSL_*_FILE turns TLS on by itself.
   */
  KAFKA_SSL: z
    .enum(['true', 'false'], { error: 'true or false' })
    .transform((v) => v === 'true')
    .optional(),
  /** CA certificate(s) that signed the brokers' certificates (Strimzi: the cluster CA's ca.crt). */
  KAFKA_SSL_CA_FILE: pemFile('CA certificates', /CERTIFICATE/),
  /** Client certificate for mutual TLS (with KAFKA_SSL_KEY_FILE). */
  KAFKA_SSL_CERT_FILE: pemFile('a client certificate', /CERTIFICATE/),
  /** The client certificate's private key (PEM, unencrypted). */
  KAFKA_SSL_KEY_FILE: pemFile('a private key', /(RSA |EC |ENCRYPTED )?PRIVATE KEY/),
  /** SASL mechanism: plain, scram-sha-256 or scram-sha-512 (upper case accepted). */
  KAFKA_SASL_MECHANISM: z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
    z.enum(KAFKA_SASL_MECHANISMS, { error: 'plain, scram-sha-256 or scram-sha-512' }).optional(),
  ),
  KAFKA_SASL_USERNAME: z.string().min(1, 'not empty').optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1, 'not empty').optional(),
});

type KafkaSecuritySettings = Partial<
  Pick<
    z.infer<typeof KafkaEnv>,
    | 'KAFKA_SSL'
    | 'KAFKA_SSL_CA_FILE'
    | 'KAFKA_SSL_CERT_FILE'
    | 'KAFKA_SSL_KEY_FILE'
    | 'KAFKA_SASL_MECHANISM'
    | 'KAFKA_SASL_USERNAME'
    | 'KAFKA_SASL_PASSWORD'
  >
>;

/**
 * What the Kafka security settings mean together: SASL needs a mechanism, a user name and a
 * password; a client certificate needs its key (and the key its certificate); KAFKA_SSL=false
 * contradicts a TLS file. Each problem names the variable to set or unset. (Never the
 * password's value.)
 */
export function kafkaSecurityIssues(c: KafkaSecuritySettings): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const sasl = {
    mechanism: c.KAFKA_SASL_MECHANISM,
    username: c.KAFKA_SASL_USERNAME,
    password: c.KAFKA_SASL_PASSWORD,
  };
  if (sasl.mechanism || sasl.username || sasl.password) {
    const given = sasl.mechanism
      ? `KAFKA_SASL_MECHANISM=${sasl.mechanism}`
      : sasl.username
        ? 'KAFKA_SASL_USERNAME'
        : 'KAFKA_SASL_PASSWORD';
    if (!sasl.mechanism)
      issues.push({
        path: 'KAFKA_SASL_MECHANISM',
        message: `plain, scram-sha-256 or scram-sha-512, since ${given} is set`,
      });
    if (!sasl.username)
      issues.push({ path: 'KAFKA_SASL_USERNAME', message: `required with ${given}` });
    if (!sasl.password)
      issues.push({ path: 'KAFKA_SASL_PASSWORD', message: `required with ${given}` });
  }
  if (c.KAFKA_SSL_CERT_FILE && !c.KAFKA_SSL_KEY_FILE)
    issues.push({
      path: 'KAFKA_SSL_KEY_FILE',
      message: 'required with KAFKA_SSL_CERT_FILE (the client certificate needs its key)',
    });
  if (c.KAFKA_SSL_KEY_FILE && !c.KAFKA_SSL_CERT_FILE)
    issues.push({
      path: 'KAFKA_SSL_CERT_FILE',
      message: 'required with KAFKA_SSL_KEY_FILE (the key needs its client certificate)',
    });
  const files = (
    ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const
  ).filter((f) => c[f]);
  if (c.KAFKA_SSL === false && files.length > 0)
    issues.push({
      path: 'KAFKA_SSL',
      message: `false, but ${files.join(' and ')} ${files.length === 1 ? 'is' : 'are'} set (TLS files mean TLS: unset them or KAFKA_SSL)`,
    });
  return issues;
}

/**
 * A service's (or CLI's) config schema with the Kafka security settings checked together
 * (kafkaSecurityIssues). Apply it last: zod refuses to extend a refined object.
 */
export function withKafkaChecks<T extends z.ZodType<KafkaSecuritySettings>>(schema: T): T {
  return schema.superRefine((config, ctx) => {
    for (const issue of kafkaSecurityIssues(config))
      ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
  }) as T;
}

/** The Kafka settings alone, checked together: what the CLIs and tools read. */
export const KafkaClientEnv = withKafkaChecks(KafkaEnv);

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
    .transform((v) =>
      v
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
    ),
});
