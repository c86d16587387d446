import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Kafka, logLevel, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import {
  PrincipalSnapshotContract,
  Topics,
  hashApiKey,
  principalKey,
  topicName,
  type PrincipalSnapshot,
  type TopicSpec,
} from '@herald/contracts';
import { runMigrations } from '@herald/platform/db';
import { AppModule } from '../src/app.module';
import { configureApp } from '../src/configure-app';
import { registryDataSource } from '../src/database';

/**
 * What the registry's integration tests share: a database of their own, a Kafka namespace of
 * their own, the app in-process on a free port, principals published the way the domain-api
 * publishes them, a local receiver, and a reader for the subscriptions topic.
 */

const ROOT = path.resolve(__dirname, '../../..');

export function infraEnv(): { DATABASE_URL: string; KAFKA_BROKERS: string } {
  let file: Record<string, string> = {};
  const envFile = path.join(ROOT, '.herald/env.json');
  if (existsSync(envFile)) file = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
  const DATABASE_URL = process.env['DATABASE_URL'] ?? file['DATABASE_URL'];
  const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? file['KAFKA_BROKERS'];
  if (!DATABASE_URL || !KAFKA_BROKERS) throw new Error('DATABASE_URL and KAFKA_BROKERS are needed (npm run infra:up)');
  return { DATABASE_URL, KAFKA_BROKERS };
}

export const tag = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

/** A fresh database with the registry's migrations applied. */
export async function createRegistryDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = infraEnv().DATABASE_URL;
  const name = `reg_${label.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const c = new Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE "${name}"`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await runMigrations(registryDataSource(url.toString()));
  return {
    url: url.toString(),
    drop: async () => {
      const d = new Client({ connectionString: admin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await d.end();
    },
  };
}

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class KafkaFixture {
  readonly kafka: Kafka;
  private producer?: Producer;
  private readonly consumers: Consumer[] = [];

  constructor(readonly namespace: string) {
    this.kafka = new Kafka({ clientId: `registry-test-${namespace}`, brokers: infraEnv().KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(topicName(s, this.namespace)));
      if (missing.length) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: topicName(s, this.namespace),
            numPartitions: 2,
            configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
          })),
        });
      }
    } finally {
      await admin.disconnect();
    }
  }

  async send(spec: TopicSpec, messages: { key: string; value: string | null }[]): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.producer.connect();
    }
    await this.producer.send({ topic: topicName(spec, this.namespace), acks: -1, messages });
  }

  /** Principals as the domain-api publishes them. */
  async publishPrincipals(principals: PrincipalSnapshot[]): Promise<void> {
    await this.send(
      Topics.Principals,
      principals.map((p) => ({ key: principalKey(p), value: JSON.stringify(PrincipalSnapshotContract.schema.parse(p)) })),
    );
  }

  /** Every message of a topic from the beginning, as it arrives. */
  async collect(spec: TopicSpec): Promise<KafkaMessage[]> {
    const messages: KafkaMessage[] = [];
    const consumer = this.kafka.consumer({ groupId: `${this.namespace}.collect.${randomUUID()}` });
    this.consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: topicName(spec, this.namespace), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    return messages;
  }

  async close(): Promise<void> {
    for (const c of this.consumers) await c.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    const admin = this.kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${this.namespace}.`));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  }
}

export interface TestTenant {
  tenantId: string;
  slug: string;
  domain: string;
  userId: string;
  apiKey: string;
  keyId: string;
  principals: PrincipalSnapshot[];
}

const alnum = (n: number) => randomBytes(n).toString('hex').slice(0, n);

/** A tenant with one user and one API key (scopes as given), as principal snapshots. */
export function testTenant(scopes: ('read' | 'write' | 'webhooks' | 'administrative')[] = ['webhooks']): TestTenant {
  const tenantId = randomUUID();
  const slug = `t${alnum(8)}`;
  const domain = `${slug}.projectbubble.com`;
  const userId = randomUUID();
  const keyId = alnum(16);
  const apiKey = `hk_${keyId}_${randomBytes(32).toString('base64url')}`;
  const now = new Date().toISOString();
  return {
    tenantId,
    slug,
    domain,
    userId,
    apiKey,
    keyId,
    principals: [
      { kind: 'tenant', tenantId, slug, domain, name: slug, updatedAt: now },
      { kind: 'user', tenantId, userId, fullName: 'Test User', email: `${slug}@example.com`, active: true, updatedAt: now },
      { kind: 'api-key', tenantId, keyId, userId, hash: hashApiKey(apiKey), scopes, revokedAt: null, updatedAt: now },
    ],
  };
}

export interface RunningRegistry {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** The registry in-process on a free port, configured like main.ts does. */
export async function startRegistry(env: Record<string, string>): Promise<RunningRegistry> {
  const fullEnv = {
    ...process.env,
    ...infraEnv(),
    LOG_LEVEL: 'warn',
    HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
    HERALD_SSRF_ALLOW_CIDRS: '127.0.0.0/8',
    HERALD_SECRETS_KEY: `k1:${randomBytes(32).toString('base64')}`,
    PORT: '3001',
    ...env,
  };
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(fullEnv), { bodyParser: false, logger: ['error'] });
  app.enableShutdownHooks();
  configureApp(app, { HERALD_PUBLIC_BASE_URL: 'http://localhost:3001' });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer() as Server).address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port.port}`,
    close: async () => {
      const started = Date.now();
      await app.close();
      if (process.env['REGISTRY_TEST_TIMING']) process.stderr.write(`registry closed in ${Date.now() - started} ms\n`);
    },
  };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP receiver: records every request and answers with what the test scripts. */
export async function startReceiver(): Promise<{
  url: string;
  requests: ReceivedRequest[];
  respond: (fn: (req: ReceivedRequest) => { status: number; body?: string; delayMs?: number }) => void;
  close(): Promise<void>;
}> {
  const requests: ReceivedRequest[] = [];
  let responder: (req: ReceivedRequest) => { status: number; body?: string; delayMs?: number } = () => ({ status: 200, body: '{"status":"OK"}' });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      const answer = responder(r);
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body ?? '');
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: (fn) => (responder = fn),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** fetch with a bearer key and a JSON body. */
export function api(base: string, apiKey: string | null) {
  return async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: {
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, headers: res.headers, body: json as any };
  };
}
