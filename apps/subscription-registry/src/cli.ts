import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SecretBox } from '@herald/platform/crypto';
import { dataSourceOptions, runMigrations } from '@herald/platform/db';
import { kafkaClientFromEnv } from '@herald/platform/kafka';
import { readTenantBySlug } from '@herald/registry/principals';
import { registryDataSource } from './database';
import { WorksectionAdminKeyStore } from '@herald/registry/dialect-worksection';

/**
 * The registry's CLI. `worksection:admin-key --tenant <slug>` creates or rotates the tenant's
 * Worksection admin API key (stored encrypted) and prints it ONCE as one JSON line. The registry
 * knows tenants only from `herald.principals.v1`, so the slug is resolved by reading that
 * compacted topic. DATABASE_URL / KAFKA_BROKERS / HERALD_SECRETS_KEY come from the environment,
 * else from .herald/env.json and .herald/secrets.key (`npm run infra:up`).
 */

class UsageError extends Error {}

const USAGE = 'worksection:admin-key --tenant <slug>';

interface Env {
  DATABASE_URL?: string;
  KAFKA_BROKERS?: string;
  HERALD_SECRETS_KEY?: string;
  /** The whole environment (with the values above), for the Kafka settings. */
  process: NodeJS.ProcessEnv;
}

function fromStateDir(file: string): string | undefined {
  const candidates = [path.resolve(process.cwd(), '.herald', file), path.resolve(__dirname, '../../../.herald', file)];
  const found = candidates.find((f) => existsSync(f));
  return found ? readFileSync(found, 'utf8') : undefined;
}

function environment(): Env {
  const envJson = fromStateDir('env.json');
  const fromFile = envJson ? (JSON.parse(envJson) as Record<string, string | undefined>) : {};
  const values = {
    DATABASE_URL: process.env['DATABASE_URL'] || fromFile.DATABASE_URL,
    KAFKA_BROKERS: process.env['KAFKA_BROKERS'] || fromFile.KAFKA_BROKERS,
    HERALD_SECRETS_KEY: process.env['HERALD_SECRETS_KEY'] || fromStateDir('secrets.key')?.trim(),
  };
  return { ...values, process: { ...process.env, ...values, HERALD_KAFKA_NAMESPACE: process.env['HERALD_KAFKA_NAMESPACE'] || undefined } };
}

async function adminKey(env: Env, slug: string): Promise<Record<string, string>> {
  if (!env.DATABASE_URL) throw new UsageError('DATABASE_URL is unset and .herald/env.json was not found (run `npm run infra:up`)');
  if (!env.KAFKA_BROKERS) throw new UsageError('KAFKA_BROKERS is unset and .herald/env.json was not found (run `npm run infra:up`)');
  if (!env.HERALD_SECRETS_KEY) throw new UsageError('HERALD_SECRETS_KEY is unset and .herald/secrets.key was not found');
  const box = SecretBox.fromSpec(env.HERALD_SECRETS_KEY);
  // Validated like the services' settings (one line naming every bad one); wrong credentials
  // or TLS trust stop here with one line too.
  const client = kafkaClientFromEnv('herald-registry-cli', env.process);
  if (!(await client.verifyConnection())) throw new Error(`Kafka at ${env.KAFKA_BROKERS} does not answer (the tenant is looked up on herald.principals.v1)`);
  const tenant = await readTenantBySlug(client, slug);
  if (!tenant) throw new UsageError(`no tenant with slug "${slug}" on herald.principals.v1`);
  const options = registryDataSource(env.DATABASE_URL, { poolSize: 1 });
  await runMigrations(options);
  const ds = new DataSource(dataSourceOptions(options));
  await ds.initialize();
  try {
    const key = await new WorksectionAdminKeyStore(ds, box).rotate(tenant.tenantId);
    return { tenantId: tenant.tenantId, slug: tenant.slug, adminApiKey: key };
  } finally {
    await ds.destroy();
  }
}

async function main(argv: string[]): Promise<number> {
  Logger.overrideLogger(false);
  const [command, ...rest] = argv;
  if (command !== 'worksection:admin-key') throw new UsageError(`unknown command "${command ?? ''}"; usage: ${USAGE}`);
  let tenant: string | undefined;
  try {
    tenant = parseArgs({ args: rest, options: { tenant: { type: 'string' } }, strict: true }).values.tenant;
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message.split('\n')[0] : String(e)}; usage: ${USAGE}`);
  }
  if (!tenant) throw new UsageError(`--tenant is required; usage: ${USAGE}`);
  const result = await adminKey(environment(), tenant);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`herald: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}\n`);
    process.exit(e instanceof UsageError ? 64 : 1);
  },
);
