import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Topics, type ApiKeyScope } from '@herald/contracts';
import { domainDataSource } from '@herald/domain/resources';
import {
  CreateApiKey,
  CreateTenant,
  CreateUser,

  NotFoundError,
  PrincipalPublisher,
  TenancyRepository,
} from '@herald/domain/tenancy';
import { dataSourceOptions, runMigrations } from '@herald/platform/db';
import { HeraldProducer, KafkaClient, TopicAdmin, kafkaClientFromEnv } from '@herald/platform/kafka';
import { KafkaPrincipalSink } from './principals/kafka-principal-sink';

/**
 * `herald tenant:create | user:create | key:create`: bootstrap tenants, users and keys against
 * the database (DATABASE_URL, else .herald/env.json), publish the principals to Kafka, print ONE
 * JSON line. Any failure: one line on stderr and a non-zero exit.
 */

class UsageError extends Error {}

const USAGE = {
  'tenant:create': '--slug <slug> --domain <domain> --admin-name <name> --admin-email <email> [--name <tenant name>]',
  'user:create': '--tenant <slug> --name <full name> --email <email>',
  'key:create': '--tenant <slug> --user <userId|email> [--scopes read,write,webhooks,administrative] [--label <label>]',
} as const;
type Command = keyof typeof USAGE;

const OPTIONS = {
  slug: { type: 'string' },
  domain: { type: 'string' },
  name: { type: 'string' },
  'admin-name': { type: 'string' },
  'admin-email': { type: 'string' },
  tenant: { type: 'string' },
  email: { type: 'string' },
  user: { type: 'string' },
  scopes: { type: 'string' },
  label: { type: 'string' },
} as const;

const ALLOWED: Record<Command, readonly string[]> = {
  'tenant:create': ['slug', 'domain', 'name', 'admin-name', 'admin-email'],
  'user:create': ['tenant', 'name', 'email'],
  'key:create': ['tenant', 'user', 'scopes', 'label'],
};
const REQUIRED: Record<Command, readonly string[]> = {
  'tenant:create': ['slug', 'domain', 'admin-name', 'admin-email'],
  'user:create': ['tenant', 'name', 'email'],
  'key:create': ['tenant', 'user'],
};

/**
 * The process environment, with DATABASE_URL and KAFKA_BROKERS taken from what `npm run
 * infra:up` wrote to .herald/env.json when they are unset. The Kafka TLS and SASL settings
 * (KAFKA_SSL*, KAFKA_SASL_*) come from the environment only, as for the services.
 */
function environment(): NodeJS.ProcessEnv {
  const candidates = [path.resolve(process.cwd(), '.herald/env.json'), path.resolve(__dirname, '../../../.herald/env.json')];
  const file = candidates.find((f) => existsSync(f));
  const fromFile = file ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string | undefined>) : {};
  return {
    ...process.env,
    DATABASE_URL: process.env['DATABASE_URL'] || fromFile['DATABASE_URL'],
    KAFKA_BROKERS: process.env['KAFKA_BROKERS'] || fromFile['KAFKA_BROKERS'],
    HERALD_KAFKA_NAMESPACE: process.env['HERALD_KAFKA_NAMESPACE'] || undefined,
  };
}

function parse(argv: string[]): { command: Command; values: Record<string, string> } {
  const [command, ...rest] = argv;
  if (!command || !(command in USAGE)) {
    throw new UsageError(
      `unknown command ${command ? `"${command}"` : '(none)'}; use one of: ${Object.keys(USAGE).join(', ')}`,
    );
  }
  const cmd = command as Command;
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(`${cmd}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}; usage: ${cmd} ${USAGE[cmd]}`);
  }
  const extra = Object.keys(values).filter((k) => !ALLOWED[cmd].includes(k));
  const missing = REQUIRED[cmd].filter((k) => !values[k]);
  if (extra.length || missing.length) {
    const what = [
      missing.length ? `missing ${missing.map((k) => `--${k}`).join(', ')}` : '',
      extra.length ? `unexpected ${extra.map((k) => `--${k}`).join(', ')}` : '',
    ].filter(Boolean);
    throw new UsageError(`${cmd}: ${what.join('; ')}; usage: ${cmd} ${USAGE[cmd]}`);
  }
  return { command: cmd, values: values as Record<string, string> };
}

async function tenantIdOf(ds: DataSource, slug: string): Promise<string> {
  const tenant = await new TenancyRepository(ds.manager).findTenantBySlug(slug);
  if (!tenant) throw new NotFoundError('tenant', slug);
  return tenant.id;
}

async function run(command: Command, v: Record<string, string>, ds: DataSource): Promise<Record<string, string>> {
  switch (command) {
    case 'tenant:create': {
      const r = await new CreateTenant(ds).execute({
        slug: v['slug'],
        domain: v['domain'],
        name: v['name'],
        adminName: v['admin-name'],
        adminEmail: v['admin-email'],
      });
      return { tenantId: r.tenant.id, userId: r.admin.id, apiKey: r.apiKey };
    }
    case 'user:create': {
      const tenantId = await tenantIdOf(ds, v['tenant']);
      const user = await new CreateUser(ds).execute({ tenantId, fullName: v['name'], email: v['email'] });
      return { tenantId, userId: user.id };
    }
    case 'key:create': {
      const tenantId = await tenantIdOf(ds, v['tenant']);
      const scopes = v['scopes']?.split(',').map((s) => s.trim()).filter(Boolean);
      // Validated (and refused with the bad value named) by the use case.
      const r = await new CreateApiKey(ds).execute({ tenantId, user: v['user'], scopes: scopes as ApiKeyScope[] | undefined, label: v['label'] });
      return { tenantId, userId: r.key.userId, keyId: r.key.keyId, apiKey: r.apiKey };
    }
  }
}

/** Publishes what this command changed (and anything else pending). Kafka down: a warning, not a failure. */
async function publishPrincipals(ds: DataSource, client: KafkaClient | undefined): Promise<void> {
  if (!client) {
    process.stderr.write('herald: warning: KAFKA_BROKERS is unset; the domain-api will publish the principals when it runs\n');
    return;
  }
  const producer = new HeraldProducer(client);
  try {
    await withTimeout(
      (async () => {
        await new TopicAdmin(client).ensureTopics([Topics.Principals]);
        await new PrincipalPublisher(ds, new KafkaPrincipalSink(producer)).publishPending();
      })(),
      20_000,
    );
  } catch (e) {
    process.stderr.write(
      `herald: warning: principals not published yet (${e instanceof Error ? e.message : String(e)}); the domain-api republishes them\n`,
    );
  } finally {
    await producer.onApplicationShutdown();
    await client.onApplicationShutdown();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

async function main(argv: string[]): Promise<number> {
  // Nest's logger (used by the Kafka lib) would write to stdout, which carries only the JSON line.
  Logger.overrideLogger(false);
  const { command, values } = parse(argv);
  const env = environment();
  if (!env['DATABASE_URL']) throw new UsageError('DATABASE_URL is unset and .herald/env.json was not found (run `npm run infra:up`)');
  // The Kafka settings are validated (one line naming every bad one) and, when the brokers
  // answer, used once before anything is written: wrong credentials stop here.
  const kafka = env['KAFKA_BROKERS'] ? kafkaClientFromEnv('herald-cli', env) : undefined;
  await kafka?.verifyConnection();
  const options = domainDataSource(env['DATABASE_URL'], { poolSize: 2, applicationName: 'herald-cli' });
  await runMigrations(options);
  const ds = new DataSource(dataSourceOptions(options));
  await ds.initialize();
  try {
    const result = await run(command, values, ds);
    await publishPrincipals(ds, kafka);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    await ds.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`herald: ${message.split('\n')[0]}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);

