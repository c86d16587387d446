import type { DataSource, EntityManager } from 'typeorm';
import type { PrincipalSnapshot } from '@herald/contracts';
import { ApiKeyEntity, TenantEntity, UserEntity } from '../entities';
import { apiKeySnapshot, tenantSnapshot, userSnapshot } from './principal-snapshots';
import { CoalescingRun } from '@herald/platform/kafka';
import { NotAcknowledgedError } from '../errors';

/** Where principal snapshots go: `herald.principals.v1`. Resolves once Kafka acknowledged (acks=all). */
export interface PrincipalSink {
  send(snapshots: PrincipalSnapshot[]): Promise<void>;
}

/** Told after a commit that changed principals; the publisher then publishes soon. */
export interface PrincipalChangeListener {
  principalsChanged(): void;
  /**
   * Publishes now and resolves once Kafka acknowledged every principal change committed before
   * the call; rejects (`NotAcknowledgedError`) when it could not within the listener's bound.
   * For a change whose answer must mean "every service knows it" (a key's revocation).
   */
  principalsAcknowledged?(): Promise<void>;
}

type PrincipalEntity = typeof TenantEntity | typeof UserEntity | typeof ApiKeyEntity;

const KINDS: ReadonlyArray<{ entity: PrincipalEntity; snapshot: (row: never) => PrincipalSnapshot }> = [
  { entity: TenantEntity, snapshot: tenantSnapshot as (row: never) => PrincipalSnapshot },
  { entity: UserEntity, snapshot: userSnapshot as (row: never) => PrincipalSnapshot },
  { entity: ApiKeyEntity, snapshot: apiKeySnapshot as (row: never) => PrincipalSnapshot },
];

const BATCH = 500;

/**
 * Publishes every principal whose `publishedVersion` lags its `version`, then records the
 * version it published. One publisher at a time per database (a transaction-scoped advisory
 * lock held until Kafka acknowledged): two publishers (two replicas, or the CLI and the service)
 * never publish an older version of a row after a newer one. Rows are read without row locks,
 * so writers (and foreign-key checks on users and tenants) never wait for Kafka; a row changed
 * during a publish keeps `publishedVersion < version` and goes out in the next run. A failed or
 * timed-out send leaves the rows dirty: the next run (start-up, timer, next change) retries.
 */
export class PrincipalPublisher {
  private readonly pending = new CoalescingRun(() => this.drain());

  constructor(
    private readonly ds: DataSource,
    private readonly sink: PrincipalSink,
    private readonly sendTimeoutMs = 15_000,
  ) {}

  /**
   * Publishes everything dirty; resolves with how many snapshots went out. Runs are serialised;
   * a call made while one runs joins the next run, which starts after the caller's commit.
   */
  publishPending(): Promise<number> {
    return this.pending.run();
  }

  private async drain(): Promise<number> {
    let total = 0;
    for (const kind of KINDS) {
      for (;;) {
        const sent = await this.ds.transaction((m) => this.publishBatch(m, kind.entity, kind.snapshot));
        total += sent;
        if (sent < BATCH) break;
      }
    }
    return total;
  }

  private async publishBatch(
    m: EntityManager,
    entity: PrincipalEntity,
    snapshot: (row: never) => PrincipalSnapshot,
  ): Promise<number> {
    await m.query(`SELECT pg_advisory_xact_lock(${PUBLISHER_LOCK_SQL})`);
    const rows = (await m
      .createQueryBuilder(entity, 'p')
      .where('p.publishedVersion < p.version')
      .orderBy('p.updatedAt', 'ASC')
      .limit(BATCH)
      .getMany()) as Array<{ id: string; version: number }>;
    if (!rows.length) return 0;
    await withTimeout(this.sink.send(rows.map((r) => snapshot(r as never))), this.sendTimeoutMs);
    const table = m.connection.getMetadata(entity).tablePath;
    await m.query(
      `UPDATE ${table} AS t SET published_version = s.version
         FROM unnest($1::uuid[], $2::int[]) AS s(id, version)
        WHERE t.id = s.id AND t.published_version < s.version`,
      [rows.map((r) => r.id), rows.map((r) => r.version)],
    );
    return rows.length;
  }
}

/**
 * Publishes now (a run that starts after the caller's commit, so its rows go out, by this run or
 * by another replica's holding the lock) and resolves once Kafka acknowledged; a failed send, or
 * none within `withinMs`, is a `NotAcknowledgedError` (the rows stay dirty and are retried).
 */
export async function publishAcknowledged(publisher: PrincipalPublisher, withinMs: number): Promise<void> {
  try {
    await withTimeout(publisher.publishPending(), withinMs);
  } catch (e) {
    throw new NotAcknowledgedError(`committed, but Kafka has not acknowledged it yet (${e instanceof Error ? e.message : String(e)}); retry the request to confirm`);
  }
}

/** One principal publisher at a time per database. */
const PUBLISHER_LOCK_SQL = `hashtext('herald.principals.publisher')`;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Kafka did not acknowledge the principals within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
