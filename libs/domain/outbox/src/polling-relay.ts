import type { Client } from 'pg';
import { outboxRowOf, type OutboxColumns } from './outbox-publisher';
import { Failure, OutboxRelayBase, type OutboxRelayOptions } from './relay-base';
import { OUTBOX_NOTIFY_CHANNEL, OUTBOX_TABLE } from './outbox.constants';

export interface PollingRelayOptions extends OutboxRelayOptions {
  /** The safety poll, in case a notification is lost (default 5 s). */
  safetyPollMs?: number;
}

interface PollingSession {
  lock: Client;
  work?: Client;
  failure: Failure;
  over: boolean;
}

/**
 * The fallback where logical replication is not allowed. Woken by NOTIFY (an insert trigger fires
 * it at commit) and by a slow safety poll; one active instance per database (the relay advisory
 * lock, held by a dedicated connection). Each batch is one transaction: lock the oldest rows
 * (FOR UPDATE SKIP LOCKED), publish them, delete them, commit. There is no "last id" watermark:
 * whatever is in the table is unpublished, so a row that commits late is simply read later.
 */
export class PollingRelay extends OutboxRelayBase {
  readonly kind = 'polling' as const;
  private session?: PollingSession;

  constructor(private readonly opts: PollingRelayOptions) {
    super(opts);
  }

  protected async runSession(): Promise<'standby' | 'ended'> {
    const lock = this.newClient();
    const session: PollingSession = { lock, failure: new Failure(), over: false };
    lock.on('error', (e) => session.failure.fail(e));
    lock.on('end', () => session.failure.fail(new Error('lock connection closed')));
    this.session = session;
    try {
      await lock.connect();
      if (!(await this.tryRelayLock(lock))) return 'standby';
      await this.opts.publisher.prepare();
      lock.on('notification', () => this.wakeup.wake());
      await lock.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
      const work = this.newClient();
      session.work = work;
      work.on('error', (e) => session.failure.fail(e));
      await work.connect();
      this.markActive();
      const draining = this.drainLoop(work, session);
      draining.catch(() => undefined);
      return await Promise.race([draining, session.failure.promise]);
    } finally {
      session.over = true;
      this.session = undefined;
      await Promise.all([session.work?.end().catch(() => undefined), lock.end().catch(() => undefined)]);
    }
  }

  protected async abortSession(): Promise<void> {
    const s = this.session;
    if (!s) return;
    s.failure.fail(new Error('relay killed'));
    await Promise.all([s.work?.end().catch(() => undefined), s.lock.end().catch(() => undefined)]);
  }

  private async drainLoop(work: Client, session: PollingSession): Promise<'ended'> {
    const safetyPollMs = this.opts.safetyPollMs ?? 5_000;
    while (!this.stopping && !session.over) {
      const n = await this.relayBatch(work);
      if (n >= this.batchSize) continue;
      if (this.stopping || session.over) break;
      // A NOTIFY that came while the batch was in flight: changes are streaming in, and the next
      // batch may wait a moment to fill up. One that finds the relay idle is relayed at once.
      const underLoad = this.wakeup.isPending;
      await this.wakeup.wait(safetyPollMs);
      if (underLoad && this.maxBatchWaitMs > 0 && !this.stopping) await new Promise((r) => setTimeout(r, this.maxBatchWaitMs));
    }
    return 'ended';
  }

  private async relayBatch(work: Client): Promise<number> {
    await work.query('BEGIN');
    try {
      const r = await work.query<OutboxColumns>(
        `SELECT id, aggregate_key, payload, headers, created_at FROM ${OUTBOX_TABLE}
          ORDER BY created_at, seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.batchSize],
      );
      if (r.rows.length === 0) {
        await work.query('COMMIT');
        return 0;
      }
      const rows = r.rows.map((x) => outboxRowOf(x));
      const started = Date.now();
      await this.opts.publisher.publish(rows);
      const ackedAt = Date.now();
      await work.query(`DELETE FROM ${OUTBOX_TABLE} WHERE id = ANY($1::uuid[])`, [rows.map((x) => x.id)]);
      await work.query('COMMIT');
      this.observePublished(rows, ackedAt);
      this.logger.debug?.(`[outbox polling] published ${rows.length} rows in ${ackedAt - started} ms`);
      return rows.length;
    } catch (e) {
      await work.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }
}
