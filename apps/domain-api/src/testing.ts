import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { HERALD_CONFIG } from '@herald/platform/config';
import { CreateTenant } from '@herald/domain/tenancy';
import { domainDataSource } from '@herald/domain/resources';
import { runMigrations } from '@herald/platform/db';
import { createTestDatabase, deleteKafkaNamespace, uniqueKafkaNamespace } from '@herald/platform/testing';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';
import type { DomainApiConfig } from './config';

/** The domain-api in-process on a free port, for int tests (shared by the HTTP test files). */
export interface TestApp {
  app: INestApplication;
  url: string;
  ds: DataSource;
  close(): Promise<void>;
}

/** A migrated database and a Kafka namespace of the test file's own (`name` labels both). */
export interface TestInfra {
  dbUrl: string;
  ns: string;
  /** The environment that starts the API on them (two partitions unless `extra` says otherwise). */
  env(extra?: Record<string, string>): Record<string, string>;
  drop(): Promise<void>;
}

export async function createTestInfra(name: string): Promise<TestInfra> {
  const db = await createTestDatabase(name);
  const ns = uniqueKafkaNamespace(name);
  await runMigrations(domainDataSource(db.url));
  return {
    dbUrl: db.url,
    ns,
    env: (extra = {}) => ({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '',
      HERALD_KAFKA_NAMESPACE: ns,
      HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
      ...extra,
    }),
    drop: async () => {
      await db.drop();
      await deleteKafkaNamespace(ns);
    },
  };
}

export async function startTestApp(env: Record<string, string>): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot({ LOG_LEVEL: 'silent', HERALD_OUTBOX_RELAY: 'off', ...env })],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false, bodyParser: false });
  configureApp(app, app.get<DomainApiConfig>(HERALD_CONFIG));
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  // A test that computes for longer than Node's 5 s keep-alive (compiling the OpenAPI document's
  // schemas, on a loaded machine) must not have its next request land on a socket the server has
  // just closed (ECONNRESET).
  (app.getHttpServer() as { keepAliveTimeout: number }).keepAliveTimeout = 120_000;
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, ds: app.get(DataSource), close: () => app.close() };
}

export interface TestTenant {
  tenantId: string;
  userId: string;
  apiKey: string;
  keyId: string;
  domain: string;
}

export async function createTestTenant(ds: DataSource, slug: string): Promise<TestTenant> {
  const domain = `${slug}.projectbubble.com`;
  const r = await new CreateTenant(ds).execute({
    slug,
    domain,
    adminName: `${slug} admin`,
    adminEmail: `admin@${slug}.test`,
  });
  return { tenantId: r.tenant.id, userId: r.admin.id, apiKey: r.apiKey, keyId: r.key.keyId, domain };
}

export interface Reply {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

/** fetch with JSON in and out; `auth` is a bearer key, or ProProfs' key + domain. */
export async function call(
  url: string,
  method: string,
  path: string,
  auth: { bearer: string } | { key: string; domain: string } | null,
  body?: unknown,
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (auth && 'bearer' in auth) headers['authorization'] = `Bearer ${auth.bearer}`;
  if (auth && 'key' in auth) {
    headers['key'] = auth.key;
    headers['domain'] = auth.domain;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** A POST whose body goes as written (not encoded by the test), with a bearer key: for bodies `call` cannot send. */
export function postRaw(url: string, path: string, apiKey: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
    body,
  });
}
