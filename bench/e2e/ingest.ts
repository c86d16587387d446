import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { Client } from 'pg';
import { Pool } from 'undici';
import { ResourceChangePublisher, resourceChangeKey, type ResourceChange } from '@herald/contracts';

/*
 * How the benchmark's changes enter Herald (`--ingest`):
 * - `sql`: rows INSERTed straight into the domain API's outbox table, 500 a statement (the relay
 *   streams them from the WAL) — Herald's delivery path alone;
 * - `api`: one `POST /v1/tasks` per change, 16 senders (how a product team, and Convoy's own
 *   benchmark, drive a webhook gateway: one event per API call) — the domain API included;
 * - `bus`: `ResourceChangePublisher` straight to herald.resource-changes.v1, 500 a request
 *   (another service publishing its own changes) — no outbox, no relay.
 */

export type IngestMode = 'sql' | 'api' | 'bus';
export const INGEST_MODES: readonly IngestMode[] = ['sql', 'api', 'bus'];

export interface BenchTenant {
  tenantId: string;
  userId: string;
  apiKey: string;
}

/** One change to make: a task of `projectId` (one hook per project, so one delivery per change). */
export interface ChangeSpec {
  projectId: string;
  resourceId: string;
  /**
   * Whose change it is (its `tenantId`, and the API key it is made with): the router fans it out
   * to that tenant's hooks only. Default: the ingest's tenant.
   */
  tenant?: BenchTenant;
}

export interface Ingest {
  readonly mode: IngestMode;
  /** The event type each change becomes (the hooks subscribe to it). */
  readonly eventType: 'task.updated' | 'task.created';
  /** Changes made so far (each one a committed change Herald must deliver). */
  readonly committed: number;
  /**
   * `n` projects to scope hooks to (created through the API where the API makes the changes), of
   * `tenant` (default: the ingest's).
   */
  projects(n: number, tenant?: BenchTenant): Promise<string[]>;
  send(changes: readonly ChangeSpec[]): Promise<void>;
  close(): Promise<void>;
}

function change(ingestTenant: BenchTenant, spec: ChangeSpec): ResourceChange {
  const { projectId, resourceId } = spec;
  const tenant = spec.tenant ?? ingestTenant;
  return {
    eventId: randomUUID(),
    tenantId: tenant.tenantId,
    projectId,
    resourceType: 'task',
    resourceId,
    action: 'updated',
    occurredAt: new Date().toISOString(),
    initiator: { userId: tenant.userId, fullName: 'Bench Bot', logonAccount: 'bench@example.test' },
    before: { id: resourceId, name: 'before', projectId },
    after: { id: resourceId, name: 'after', projectId },
    changedFields: ['name'],
  };
}

const CHUNK = 500;

/** `sql` and `bus`: the changes go in up to 500 at a time, for projects that are only ids (nothing to create them in). */
abstract class ChunkedIngest {
  committed = 0;
  constructor(protected readonly tenant: BenchTenant) {}

  async projects(n: number): Promise<string[]> {
    return Array.from({ length: n }, () => randomUUID());
  }

  async send(specs: readonly ChangeSpec[]): Promise<void> {
    for (let i = 0; i < specs.length; i += CHUNK) {
      const chunk = specs.slice(i, i + CHUNK).map((s) => change(this.tenant, s));
      await this.commit(chunk);
      this.committed += chunk.length;
    }
  }

  /** Up to 500 changes, in one transaction or one produce request. */
  protected abstract commit(chunk: ResourceChange[]): Promise<void>;
}

/** `--ingest sql`: one INSERT (one transaction) of up to 500 outbox rows — what the domain API's writer commits, without the resource rows. */
export class SqlIngest extends ChunkedIngest implements Ingest {
  readonly mode = 'sql' as const;
  readonly eventType = 'task.updated' as const;
  constructor(
    private readonly db: Client,
    tenant: BenchTenant,
  ) {
    super(tenant);
  }

  protected async commit(chunk: ResourceChange[]): Promise<void> {
    const values: unknown[] = [];
    const rows = chunk.map((c, j) => {
      values.push(c.eventId, resourceChangeKey(c), JSON.stringify(c));
      return `($${j * 3 + 1}, $${j * 3 + 2}, $${j * 3 + 3}::jsonb, '{}'::jsonb)`;
    });
    await this.db.query(
      `INSERT INTO domain.outbox (id, aggregate_key, payload, headers) VALUES ${rows.join(', ')}`,
      values,
    );
  }

  async close(): Promise<void> {
    // the pg client is the caller's
  }
}

/** `--ingest bus`: ResourceChangePublisher, up to 500 changes a produce request. */
export class BusIngest extends ChunkedIngest implements Ingest {
  readonly mode = 'bus' as const;
  readonly eventType = 'task.updated' as const;
  private readonly publisher: ResourceChangePublisher;
  constructor(
    private readonly producer: Producer,
    tenant: BenchTenant,
    namespace: string,
  ) {
    super(tenant);
    this.publisher = new ResourceChangePublisher(producer, {
      producerName: 'bench-e2e',
      namespace,
    });
  }

  protected async commit(chunk: ResourceChange[]): Promise<void> {
    await this.publisher.publish(chunk);
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}

/** `--ingest api`: one `POST /v1/tasks` per change, `senders` requests at a time (keep-alive connections). */
export class ApiIngest implements Ingest {
  readonly mode = 'api' as const;
  readonly eventType = 'task.created' as const;
  committed = 0;
  private readonly pool: Pool;
  constructor(
    domainApiUrl: string,
    private readonly tenant: BenchTenant,
    readonly senders = 16,
  ) {
    this.pool = new Pool(domainApiUrl, { connections: senders, pipelining: 1 });
  }

  private async post(path: string, body: unknown, tenant = this.tenant): Promise<{ id: string }> {
    const res = await this.pool.request({
      path,
      method: 'POST',
      headers: {
        authorization: `Bearer ${tenant.apiKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`POST ${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text) as { id: string };
  }

  async projects(n: number, tenant = this.tenant): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push((await this.post('/v1/projects', { name: `bench project ${i}` }, tenant)).id);
    return ids;
  }

  async send(specs: readonly ChangeSpec[]): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(this.senders, specs.length) }, async () => {
        while (next < specs.length) {
          const { projectId, resourceId, tenant } = specs[next++];
          await this.post('/v1/tasks', { projectId, name: resourceId }, tenant);
          this.committed++;
        }
      }),
    );
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
