import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  DELIVERY_LOG_SCHEMA,
  DELIVERY_STATS_RETENTION_MS,
  DELIVERY_STATS_TABLE,
  PARTITIONED_TABLES,
  qualified,
} from '../delivery-log.constants';
import { DELIVERY_LOG_SETTINGS, type DeliveryLogSettings } from '../settings';
import { addDays, dayOfSuffix, daySuffix, daysBetween, retentionWindow } from './partition-days';

export interface MaintainPartitionsCommand {
  /** The clock the job runs at (tests pass a fake one). */
  now: Date;
}

export interface MaintainPartitionsResult {
  created: string[];
  dropped: string[];
}

/** Any number unique to this job: replicas running it at the same time take turns. */
const PARTITION_JOB_LOCK = 0x4845_524c; // "HERL"

/**
 * Keeps the delivery log's day partitions: creates every missing day of the retention window
 * (and `daysAhead` days ahead), drops every day before it. Dropping a day is a `DROP TABLE` of
 * that day's partitions: no DELETE, no vacuum debt. Safe to run from several replicas at once.
 */
@Injectable()
export class MaintainDeliveryLogPartitions {
  constructor(
    private readonly ds: DataSource,
    @Inject(DELIVERY_LOG_SETTINGS) private readonly settings: DeliveryLogSettings,
  ) {}

  async execute({ now }: MaintainPartitionsCommand): Promise<MaintainPartitionsResult> {
    const { firstDay, lastDay } = retentionWindow(
      now,
      this.settings.retentionDays,
      this.settings.daysAhead,
    );
    return this.ds.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_JOB_LOCK]);
      const created: string[] = [];
      const dropped: string[] = [];
      for (const table of PARTITIONED_TABLES) {
        const existing = await this.partitionsOf(em.query.bind(em), table);
        for (const day of daysBetween(firstDay, lastDay)) {
          const name = `${table}_p${daySuffix(day)}`;
          if (existing.has(name)) continue;
          await em.query(
            `CREATE TABLE IF NOT EXISTS ${qualified(name)} PARTITION OF ${qualified(table)}
               FOR VALUES FROM ('${day.toISOString()}') TO ('${addDays(day, 1).toISOString()}')`,
          );
          created.push(name);
        }
        for (const name of existing) {
          const day = dayOfSuffix(name.slice(table.length + 2));
          if (day && day.getTime() < firstDay.getTime()) {
            await em.query(`DROP TABLE IF EXISTS ${qualified(name)}`);
            dropped.push(name);
          }
        }
      }
      // The charts' rollup keeps 2 days (a plain DELETE: a few thousand rows per hook at most).
      await em.query(`DELETE FROM ${qualified(DELIVERY_STATS_TABLE)} WHERE minute < $1`, [
        new Date(now.getTime() - DELIVERY_STATS_RETENTION_MS).toISOString(),
      ]);
      return { created, dropped };
    });
  }

  /** The day partitions a table has now, by name. */
  async partitions(table: (typeof PARTITIONED_TABLES)[number]): Promise<string[]> {
    return [...(await this.partitionsOf(this.ds.query.bind(this.ds), table))].sort();
  }

  private async partitionsOf(
    query: (sql: string, params: unknown[]) => Promise<{ name: string }[]>,
    table: string,
  ): Promise<Set<string>> {
    const rows = await query(
      `SELECT c.relname AS name
         FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = $1 AND p.relname = $2`,
      [DELIVERY_LOG_SCHEMA, table],
    );
    return new Set(rows.map((r) => r.name).filter((n) => n.startsWith(`${table}_p`)));
  }
}
