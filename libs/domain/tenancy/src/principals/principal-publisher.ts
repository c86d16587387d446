import type { DataSource, EntityManager } from 'typeorm';
import type { PrincipalSnapshot } from '@herald/contracts';
import { ApiKeyEntity, TenantEntity, UserEntity } from '../entities';
import { apiKeySnapshot, tenantSnapshot, userSnapshot } from './principal-snapshots';

/** Where principal snapshots go: `herald.principals.v1`. Resolves once Kafka acknowledged (acks=all). */
export interface PrincipalSink {
  send(snapshots: PrincipalSnapshot[]): Promise<void>;
}

/** Told after a commit that changed principals; the publisher then publishes soon. */
export interface PrincipalChangeListener {
  principalsChanged(): void;
}

type PrincipalEntity = typeof TenantEntity | typeof UserEntity | typeof ApiKeyEntity;

const KINDS: ReadonlyArray<{ entity: PrincipalEntity; snapshot: (row: never) => PrincipalSnapshot }> = [
  { entity: TenantEntity, snapshot: tenantSnapshot as (row: never) => PrincipalSnapshot },
  { entity: UserEntity, snapshot: userSnapshot as (row: never) => PrincipalSnapshot },
  { entity: ApiKeyEntity, snapshot: apiKeySnapshot as (row: never) => PrincipalSnapshot },
];

const BATCH = 500;

/**
 * Publishes every principal whose `publishedVersion` lags its `version`, then marks it
 * published. Dirty rows are read `FOR UPDATE SKIP LOCKED` and stay locked until Kafka
 * acknowledged, so two publishers (two replicas, or the CLI and the service) never publish an
 * older version of a row after a newer one, and a writer waits for the in-flight publish.
 * A failed send leaves the rows dirty: the next run (start-up, timer, next change) retries.
 */
export class PrincipalPublisher {
  private tail: Promise<unknown> = Promise.resolve();
  private queued: Promise<number> | null = null;

  constructor(
    private readonly ds: DataSource,
    private readonly sink: PrincipalSink,
  ) {}

  /**
   * Publishes everything dirty; resolves with how many snapshots went out. Runs are serialised;
   * a call made while one runs joins the next run, which starts after the caller's commit.
   */
  publishPending(): Promise<number> {
    if (this.queued) return this.queued;
    const run = this.tail
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.drain();
      });
    this.queued = run;
    this.tail = run;
    return run;
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
    const rows = (await m
      .createQueryBuilder(entity, 'p')
      .where('p.publishedVersion < p.version')
      .orderBy('p.updatedAt', 'ASC')
      .limit(BATCH)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany()) as Array<{ id: string; version: number }>;
    if (!rows.length) return 0;
    await this.sink.send(rows.map((r) => snapshot(r as never)));
    await m
      .createQueryBuilder()
      .update(entity)
      .set({ publishedVersion: () => 'version' })
      .where('id IN (:...ids)', { ids: rows.map((r) => r.id) })
      .execute();
    return rows.length;
  }
}
