// Test support for the registry's int specs (dialects, use cases): the subscription core on a
// real PostgreSQL database of the test file's own, with the outside (snapshot sink, receivers,
// the SSRF guard, the principals topic) replaced by recorders a test scripts. No Kafka semantics
// are claimed: the snapshot sink only records what the core hands it.
import { randomBytes, randomUUID } from 'node:crypto';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Provider, Type } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { hashApiKey, type ApiKeyScope, type PrincipalSnapshot, type SubscriptionSnapshot } from '@herald/contracts';
import { Schemas, dataSourceOptions, runMigrations } from '@herald/platform/db';
import { createTestDatabase, type TestDatabase } from '@herald/platform/testing';
import { Authenticator, PrincipalDirectory, PrincipalsView, type AuthenticatedPrincipal } from '@herald/registry/principals';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SUBSCRIPTION_MIGRATIONS } from '../migrations';
import { EndpointProbe, UrlGuard, type EndpointAnswer } from '../model/ports';
import { SnapshotPublisher } from '../publishing/snapshot-publisher';
import { SubscriptionSnapshotSink } from '../publishing/snapshot-sink';
import { SUBSCRIPTION_ENTITIES } from '../persistence/subscription.entity';
import { SUBSCRIPTION_USE_CASES } from '../subscriptions.module';

export interface SubscriptionCoreTestbedOptions {
  /** Migrations to run after the subscriptions' (a dialect's tables, the delivery log). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: Function[];
  /** The providers under test (a dialect's use cases) and what they need beyond the core. */
  providers?: Provider[];
}

const OK: EndpointAnswer = { ok: true, httpStatus: 200, durationMs: 1, bodyExcerpt: '{"status":"OK"}', errorClass: null, errorMessage: null };

/** What the testbed's receivers answer a URL check: ok unless a test queued something else. */
export class ScriptedProbe extends EndpointProbe {
  readonly verifyAnswers: EndpointAnswer[] = [];
  readonly verified: string[] = [];

  async verify(target: { url: string }): Promise<EndpointAnswer> {
    this.verified.push(target.url);
    return this.verifyAnswers.shift() ?? OK;
  }

  async send(): Promise<EndpointAnswer> {
    return OK;
  }

  /** The next URL check fails as a receiver that answers `status` would. */
  failNextVerification(status = 500): void {
    this.verifyAnswers.push({ ...OK, ok: false, httpStatus: status, bodyExcerpt: 'nope', errorClass: 'contract' });
  }
}

class RecordingSink extends SubscriptionSnapshotSink {
  readonly snapshots: SubscriptionSnapshot[] = [];
  readonly tombstones: string[] = [];

  async publish(snapshots: readonly SubscriptionSnapshot[]): Promise<void> {
    this.snapshots.push(...snapshots);
  }

  async tombstone(ids: readonly string[]): Promise<void> {
    this.tombstones.push(...ids);
  }
}

/** A tenant with one user and one API key of that user, and the herald.principals.v1 snapshots that bring them. */
export interface TenantPrincipals {
  tenantId: string;
  slug: string;
  domain: string;
  userId: string;
  keyId: string;
  /** An API key in clear (`hk_…`) of the tenant's user, with the scopes asked for. */
  apiKey: string;
  /** The tenant, the user and the key (hashed), in that order. */
  principals: PrincipalSnapshot[];
}

/** A new API key of a user: in clear, and as its principal snapshot (hashed). */
export function apiKeyPrincipal(tenantId: string, userId: string, scopes: ApiKeyScope[], at = new Date().toISOString()): { keyId: string; apiKey: string; snapshot: PrincipalSnapshot } {
  const keyId = randomBytes(8).toString('hex');
  const apiKey = `hk_${keyId}_${randomBytes(32).toString('base64url')}`;
  return { keyId, apiKey, snapshot: { kind: 'api-key', tenantId, keyId, userId, hash: hashApiKey(apiKey), scopes, revokedAt: null, updatedAt: at } };
}

/** A user of the tenant as its principal snapshot. */
const userPrincipal = (tenantId: string, userId: string, email: string, at: string): PrincipalSnapshot => ({
  kind: 'user',
  tenantId,
  userId,
  fullName: 'Test User',
  email,
  active: true,
  updatedAt: at,
});

/** A new tenant (ids random), its one user and an API key of that user with `scopes`. */
export function tenantPrincipals(slug: string, scopes: ApiKeyScope[], opts: { domain?: string; name?: string } = {}): TenantPrincipals {
  const tenantId = randomUUID();
  const userId = randomUUID();
  const domain = opts.domain ?? `${slug}.example.com`;
  const at = new Date().toISOString();
  const key = apiKeyPrincipal(tenantId, userId, scopes, at);
  return {
    tenantId,
    slug,
    domain,
    userId,
    keyId: key.keyId,
    apiKey: key.apiKey,
    principals: [
      { kind: 'tenant', tenantId, slug, domain, name: opts.name ?? slug, updatedAt: at },
      userPrincipal(tenantId, userId, `${slug}@example.com`, at),
      key.snapshot,
    ],
  };
}

/** A testbed tenant: its ids and key, and the principal the key authenticates as. */
export interface TestTenant extends Omit<TenantPrincipals, 'keyId' | 'principals'> {
  principal: AuthenticatedPrincipal;
}

export interface SubscriptionCoreTestbed {
  ds: DataSource;
  module: TestingModule;
  get<T>(type: Type<T>): T;
  probe: ScriptedProbe;
  /** Snapshots and tombstones the core published, in order. */
  published: { snapshots: SubscriptionSnapshot[]; tombstones: string[] };
  /** Whether the principals view has caught up (a test sets false to see the APIs' 503). */
  principalsCaughtUp: boolean;
  /** A tenant, its user and an API key, as herald.principals.v1 would bring them. */
  addTenant(slug: string, scopes?: ApiKeyScope[]): TestTenant;
  /** Another key of the tenant's (another user when `userId` is new). */
  addKey(tenant: TestTenant, scopes: ApiKeyScope[], userId?: string): string;
  close(): Promise<void>;
}

/** The subscription core (every use case) on a fresh database with the registry's migrations. */
export async function subscriptionCoreTestbed(label: string, opts: SubscriptionCoreTestbedOptions = {}): Promise<SubscriptionCoreTestbed> {
  const db: TestDatabase = await createTestDatabase(`registry-${label}`);
  const source = { url: db.url, schema: Schemas.registry, entities: SUBSCRIPTION_ENTITIES, migrations: [...SUBSCRIPTION_MIGRATIONS, ...(opts.migrations ?? [])] };
  await runMigrations(source);
  const ds = new DataSource(dataSourceOptions({ ...source, poolSize: 4 }));
  await ds.initialize();
  const sink = new RecordingSink();
  const probe = new ScriptedProbe();
  const directory = new PrincipalDirectory();
  const state = { principalsCaughtUp: true };
  const view = {
    get isCaughtUp() {
      return state.principalsCaughtUp;
    },
    assertCaughtUp: () => PrincipalsView.prototype.assertCaughtUp.call(view),
  };
  const module = await Test.createTestingModule({
    providers: [
      { provide: DataSource, useValue: ds },
      { provide: SubscriptionSecrets, useValue: SubscriptionSecrets.fromSpec(`k1:${randomBytes(32).toString('base64')}`) },
      { provide: SubscriptionSnapshotSink, useValue: sink },
      { provide: EndpointProbe, useValue: probe },
      { provide: UrlGuard, useValue: { refusal: async () => null } },
      { provide: PrincipalDirectory, useValue: directory },
      { provide: PrincipalsView, useValue: view },
      Authenticator,
      SnapshotPublisher,
      ...SUBSCRIPTION_USE_CASES,
      ...(opts.providers ?? []),
    ],
  }).compile();
  const authenticator = module.get(Authenticator);
  const now = () => new Date().toISOString();

  const addKey = (tenant: Pick<TestTenant, 'tenantId'>, scopes: ApiKeyScope[], userId: string = randomUUID()): string => {
    if (!directory.user(tenant.tenantId, userId)) directory.update(userPrincipal(tenant.tenantId, userId, `${userId}@example.com`, now()), undefined);
    const key = apiKeyPrincipal(tenant.tenantId, userId, scopes, now());
    directory.update(key.snapshot, undefined);
    return key.apiKey;
  };

  return {
    ds,
    module,
    get: (type) => module.get(type),
    probe,
    published: sink,
    get principalsCaughtUp() {
      return state.principalsCaughtUp;
    },
    set principalsCaughtUp(v: boolean) {
      state.principalsCaughtUp = v;
    },
    addTenant(slug, scopes = ['read', 'write', 'webhooks']) {
      const { keyId: _keyId, principals, ...tenant } = tenantPrincipals(slug, scopes, { name: slug.toUpperCase() });
      for (const snapshot of principals) directory.update(snapshot, undefined);
      return { ...tenant, principal: authenticator.authenticateApiKey(tenant.apiKey) };
    },
    addKey: (tenant, scopes, userId) => addKey(tenant, scopes, userId),
    async close() {
      await module.close();
      await ds.destroy();
      await db.drop();
    },
  };
}

/** What an exception filter answers for an error: its status and JSON body. */
export function filterAnswer(filter: { catch(e: unknown, host: never): void }, e: unknown): { status: number; body: unknown } {
  const out = { status: 0, body: undefined as unknown };
  const res = { status: (s: number) => ((out.status = s), { json: (b: unknown) => void (out.body = b) }) };
  filter.catch(e, { switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({ url: '/' }) }) } as never);
  return out;
}
