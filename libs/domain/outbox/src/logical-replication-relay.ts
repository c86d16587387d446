import { Client, type ClientConfig } from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { formatLsn, parseLsn } from './lsn';
import { outboxRowOf, type OutboxColumns, type OutboxRow } from './outbox-publisher';
import { Failure, OutboxRelayBase, type OutboxRelayOptions } from './relay-base';
import {
  DEFAULT_OUTBOX_SLOT,
  OUTBOX_PUBLICATION,
  OUTBOX_SCHEMA,
  OUTBOX_SLOT_STATE_TABLE,
  OUTBOX_TABLE,
  OUTBOX_TABLE_NAME,
} from './outbox.constants';

export interface LogicalReplicationRelayOptions extends OutboxRelayOptions {
  /** Replication slot name (cluster-wide unique; default `herald_outbox`). */
  slotName?: string;
  /** Standby status is sent at least this often, even while paused (default 10 s). */
  statusIntervalMs?: number;
}

type Entry = { row: OutboxRow; receivedAt: number; whilePublishing: boolean } | { mark: bigint };

/**
 * What the replication stream delivered and the processor has not handed to Kafka yet, in WAL
 * order. A mark is a position it is safe to confirm once every row before it is acknowledged:
 * the end of a commit, or a keepalive's position (everything before it has been sent to us).
 */
export class StreamBuffer {
  private entries: Entry[] = [];
  private lastMark: bigint;
  pendingRows = 0;
  commitTime?: Date;
  /** True while the relay publishes a batch (set by the relay): rows pushed meanwhile arrived under load. */
  publishing = false;

  constructor(public confirmed: bigint) {
    this.lastMark = confirmed;
  }

  pushRow(row: OutboxRow): void {
    this.entries.push({ row, receivedAt: Date.now(), whilePublishing: this.publishing });
    this.pendingRows += 1;
  }

  pushMark(lsn: bigint): void {
    if (lsn <= this.lastMark) return;
    this.lastMark = lsn;
    this.entries.push({ mark: lsn });
  }

  get hasWork(): boolean {
    return this.entries.length > 0;
  }

  /** When the oldest row waiting arrived. */
  oldestReceivedAt(): number | undefined {
    for (const e of this.entries) if ('row' in e) return e.receivedAt;
    return undefined;
  }

  /**
   * Until when the rows waiting may linger for company before they are published (a partial
   * batch), or undefined: publish now. A linger only pays under load, so it is adaptive: rows
   * whose oldest arrived while the relay was idle leave at once (a lone change pays no wait);
   * rows whose oldest arrived while a batch was being published (a stream of changes) wait up
   * to `maxWaitMs` from its arrival, so that the next batch fills up. A full batch never waits.
   */
  lingerUntil(batchSize: number, maxWaitMs: number): number | undefined {
    if (this.pendingRows >= batchSize || maxWaitMs <= 0) return undefined;
    for (const e of this.entries) {
      if ('row' in e) return e.whilePublishing ? e.receivedAt + maxWaitMs : undefined;
    }
    return undefined;
  }

  /** Up to `max` rows from the head, with the furthest mark among them. */
  take(max: number): { rows: OutboxRow[]; mark?: bigint } {
    const rows: OutboxRow[] = [];
    let mark: bigint | undefined;
    let i = 0;
    for (; i < this.entries.length; i++) {
      const e = this.entries[i];
      if ('row' in e) {
        if (rows.length >= max) break;
        rows.push(e.row);
      } else {
        mark = e.mark;
      }
    }
    this.entries.splice(0, i);
    this.pendingRows -= rows.length;
    return { rows, mark };
  }
}

interface LogicalSession {
  control: Client;
  service?: LogicalReplicationService;
  failure: Failure;
}

interface PausableStream {
  pause(): void;
  resume(): void;
}

/**
 * Change data capture over the outbox, as Debezium's outbox pattern does it: a logical
 * replication slot (pgoutput, publication `herald_outbox`, inserts only) streams committed
 * outbox rows in commit order; a rolled-back transaction never reaches the stream. Rows are
 * published in batches (up to `batchSize` rows; a partial batch at once when the relay was idle,
 * else after up to `maxBatchWaitMs`, see `StreamBuffer.lingerUntil`), deleted, and only then is the
 * slot confirmed up to the last commit of the batch. A crash anywhere before that confirmation
 * replays the rows from the slot: re-published with the same eventId, never skipped.
 *
 * One active instance per database: the relay advisory lock, and the slot itself admits one
 * consumer. Others stand by and take over when the active one's session ends.
 */
export class LogicalReplicationRelay extends OutboxRelayBase {
  readonly kind = 'logical' as const;
  readonly slotName: string;
  private session?: LogicalSession;
  /**
   * Published rows the DELETE did not find. The walsender can stream a transaction as soon as
   * its commit record is flushed, a moment before other sessions see it as committed; such a
   * row is deleted on a later try. (A row replayed after a crash is simply gone already.)
   */
  private readonly unseenDeletes = new Map<string, number>();
  private lastUnseenRetry = 0;

  constructor(private readonly opts: LogicalReplicationRelayOptions) {
    super(opts);
    this.slotName = opts.slotName ?? DEFAULT_OUTBOX_SLOT;
    if (!/^[a-z0-9_]{1,63}$/.test(this.slotName)) {
      throw new Error(`invalid replication slot name ${JSON.stringify(this.slotName)}: lower-case letters, digits and _`);
    }
  }

  protected async runSession(): Promise<'standby' | 'ended'> {
    const control = this.newClient();
    const session: LogicalSession = { control, failure: new Failure() };
    control.on('error', (e) => session.failure.fail(e));
    this.session = session;
    try {
      await control.connect();
      if (!(await this.tryRelayLock(control))) return 'standby';
      await this.checkWalLevel(control);
      await this.opts.publisher.prepare();
      const { confirmedFlush, activePid, backfill } = await this.ensureSlot(control);
      if (activePid !== null) return 'standby';
      if (backfill) await this.backfill(control, backfill);
      return await this.stream(session, confirmedFlush);
    } finally {
      this.session = undefined;
      await session.service?.destroy().catch(() => undefined);
      await control.end().catch(() => undefined);
    }
  }

  protected async abortSession(): Promise<void> {
    const s = this.session;
    if (!s) return;
    s.failure.fail(new Error('relay killed'));
    await Promise.all([s.service?.destroy().catch(() => undefined), s.control.end().catch(() => undefined)]);
  }

  private async checkWalLevel(control: Client): Promise<void> {
    const r = await control.query<{ wal_level: string }>('SHOW wal_level');
    if (r.rows[0]?.wal_level !== 'logical') {
      throw new Error(
        `wal_level is ${r.rows[0]?.wal_level}, the logical relay needs wal_level=logical (or set HERALD_OUTBOX_RELAY=polling)`,
      );
    }
  }

  private async ensureSlot(
    control: Client,
  ): Promise<{ confirmedFlush: bigint; activePid: number | null; backfill?: string[] | 'table' }> {
    const existing = await control.query<{
      lsn: string | null;
      plugin: string;
      here: boolean;
      active_pid: number | null;
      wal_status: string | null;
    }>(
      `SELECT confirmed_flush_lsn::text AS lsn, plugin, database = current_database() AS here, active_pid, wal_status
         FROM pg_replication_slots WHERE slot_name = $1`,
      [this.slotName],
    );
    const slot = existing.rows[0];
    if (slot) {
      if (!slot.here || slot.plugin !== 'pgoutput') {
        throw new Error(`replication slot ${this.slotName} exists for another database or plugin (${slot.plugin})`);
      }
      if (slotIsLost(slot)) {
        // The server invalidated the slot (its WAL was removed, e.g. past max_slot_wal_keep_size
        // while no relay ran): it can never stream again, and retrying would loop forever. Rows
        // leave the outbox table only after Kafka acknowledged them, so the table still holds
        // every unpublished change: recreate the slot, whose snapshot backfill publishes them.
        this.logger.error(
          `[outbox logical] replication slot ${this.slotName} was invalidated by the server (wal_status=lost): ` +
            'dropping and recreating it; the rows still in the outbox table are published again from its snapshot',
        );
        await control.query('SELECT pg_drop_replication_slot($1)', [this.slotName]);
        return this.createSlot(control);
      }
      const state = await control.query<{ backfilled_at: Date | null }>(
        `SELECT backfilled_at FROM ${OUTBOX_SLOT_STATE_TABLE} WHERE slot_name = $1`,
        [this.slotName],
      );
      return {
        confirmedFlush: slot.lsn ? parseLsn(slot.lsn) : 0n,
        activePid: slot.active_pid,
        // A slot we did not finish backfilling (crash, or created by hand): publish what the table holds.
        backfill: state.rows[0]?.backfilled_at ? undefined : 'table',
      };
    }
    return this.createSlot(control);
  }

  /**
   * A new slot streams only what commits after its consistent point. The rows committed before it
   * are read in the snapshot the slot exports (exactly those, as Debezium's initial snapshot
   * does), and published before streaming starts.
   */
  private async createSlot(control: Client): Promise<{ confirmedFlush: bigint; activePid: null; backfill: string[] }> {
    const repl = new Client({
      connectionString: this.opts.databaseUrl,
      application_name: this.opts.applicationName ?? 'herald-outbox-relay',
      replication: 'database',
    } as ClientConfig);
    repl.on('error', () => undefined);
    await repl.connect();
    try {
      const made = await repl.query<{ consistent_point: string; snapshot_name: string }>(
        `CREATE_REPLICATION_SLOT "${this.slotName}" LOGICAL pgoutput (SNAPSHOT 'export')`,
      );
      const { consistent_point, snapshot_name } = made.rows[0];
      await control.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      let ids: string[];
      try {
        await control.query(`SET TRANSACTION SNAPSHOT '${snapshot_name.replace(/'/g, '')}'`);
        ids = (await control.query<{ id: string }>(`SELECT id FROM ${OUTBOX_TABLE} ORDER BY created_at, seq`)).rows.map((r) => r.id);
        await control.query('COMMIT');
      } catch (e) {
        await control.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
      await control.query(
        `INSERT INTO ${OUTBOX_SLOT_STATE_TABLE} (slot_name) VALUES ($1)
         ON CONFLICT (slot_name) DO UPDATE SET created_at = now(), backfilled_at = NULL`,
        [this.slotName],
      );
      this.logger.log(`[outbox logical] created replication slot ${this.slotName} at ${consistent_point}`);
      return { confirmedFlush: parseLsn(consistent_point), activePid: null, backfill: ids };
    } finally {
      await repl.end().catch(() => undefined);
    }
  }

  /** Publishes rows from the table (a new slot's snapshot, or all of it), then marks the slot backfilled. */
  private async backfill(control: Client, which: string[] | 'table'): Promise<void> {
    const ids =
      which === 'table'
        ? (await control.query<{ id: string }>(`SELECT id FROM ${OUTBOX_TABLE} ORDER BY created_at, seq`)).rows.map((r) => r.id)
        : which;
    for (let i = 0; i < ids.length && !this.stopping; i += this.batchSize) {
      const chunk = ids.slice(i, i + this.batchSize);
      const rows = await control.query<OutboxColumns>(
        `SELECT id, aggregate_key, payload, headers, created_at FROM ${OUTBOX_TABLE}
          WHERE id = ANY($1::uuid[]) ORDER BY created_at, seq`,
        [chunk],
      );
      const batch = rows.rows.map((r) => outboxRowOf(r));
      await this.opts.publisher.publish(batch);
      this.observePublished(batch, Date.now());
      await control.query(`DELETE FROM ${OUTBOX_TABLE} WHERE id = ANY($1::uuid[])`, [chunk]);
    }
    if (this.stopping) throw new Error('stopped during backfill');
    await control.query(`UPDATE ${OUTBOX_SLOT_STATE_TABLE} SET backfilled_at = now() WHERE slot_name = $1`, [this.slotName]);
    if (ids.length) this.logger.log(`[outbox logical] backfilled ${ids.length} rows written before slot ${this.slotName}`);
  }

  private async deleteRows(control: Client, ids: string[]): Promise<void> {
    const r = await control.query<{ id: string }>(`DELETE FROM ${OUTBOX_TABLE} WHERE id = ANY($1::uuid[]) RETURNING id`, [ids]);
    if (r.rows.length === ids.length) return;
    const deleted = new Set(r.rows.map((x) => x.id));
    for (const id of ids) if (!deleted.has(id)) this.unseenDeletes.set(id, 0);
  }

  private async retryUnseenDeletes(control: Client): Promise<void> {
    if (this.unseenDeletes.size === 0 || Date.now() - this.lastUnseenRetry < 500) return;
    this.lastUnseenRetry = Date.now();
    const ids = [...this.unseenDeletes.keys()].slice(0, 10_000);
    const r = await control.query<{ id: string }>(`DELETE FROM ${OUTBOX_TABLE} WHERE id = ANY($1::uuid[]) RETURNING id`, [ids]);
    const deleted = new Set(r.rows.map((x) => x.id));
    for (const id of ids) {
      const tries = (this.unseenDeletes.get(id) ?? 0) + 1;
      if (deleted.has(id) || tries >= 10) this.unseenDeletes.delete(id);
      else this.unseenDeletes.set(id, tries);
    }
    if (deleted.size) this.logger.debug?.(`[outbox logical] deleted ${deleted.size} rows that became visible after they were streamed`);
  }

  private async stream(session: LogicalSession, confirmedFlush: bigint): Promise<'standby' | 'ended'> {
    const { control, failure } = session;
    const service = new LogicalReplicationService(
      {
        connectionString: this.opts.databaseUrl,
        application_name: this.opts.applicationName ?? 'herald-outbox-relay',
        keepAlive: true,
        connectionTimeoutMillis: 5_000,
      },
      // Confirmation is ours alone: never automatically, never on a timer (that would confirm
      // rows Kafka has not acknowledged).
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    session.service = service;
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [OUTBOX_PUBLICATION] });
    const buffer = new StreamBuffer(confirmedFlush);
    const highWater = this.batchSize * 8;
    const lowWater = this.batchSize * 2;
    let paused = false;
    const socket = (): PausableStream | undefined =>
      (service as unknown as { _connection?: { stream?: PausableStream } })._connection?.stream;
    const sendStatus = () => {
      // The library reports lsn + 1 as written/flushed; confirming `confirmed` means passing one less.
      if (buffer.confirmed > 0n) void service.acknowledge(formatLsn(buffer.confirmed - 1n)).catch(() => undefined);
    };

    const onMessage = (msg: Pgoutput.Message) => {
      if (msg.tag === 'begin') {
        buffer.commitTime = new Date(Number((msg.commitTime as bigint) / 1000n));
      } else if (msg.tag === 'insert' && msg.relation.schema === OUTBOX_SCHEMA && msg.relation.name === OUTBOX_TABLE_NAME) {
        buffer.pushRow(outboxRowOf(msg.new as OutboxColumns, buffer.commitTime));
        if (!paused && buffer.pendingRows >= highWater) {
          socket()?.pause();
          paused = true;
        }
      } else if (msg.tag === 'commit' && msg.commitEndLsn) {
        buffer.pushMark(parseLsn(msg.commitEndLsn));
      }
      this.wakeup.wake();
    };
    // A message we cannot read ends the session (and is read again by the next one); it must
    // not throw inside the driver's socket handler.
    service.on('data', (_lsn: string, msg: Pgoutput.Message) => {
      try {
        onMessage(msg);
      } catch (e) {
        failure.fail(e);
      }
    });
    service.on('heartbeat', (lsn: string, _ts: number, shouldRespond: boolean) => {
      try {
        // Everything before a keepalive's position has been sent to us (or was not for us).
        buffer.pushMark(parseLsn(lsn));
        if (shouldRespond) sendStatus();
        this.wakeup.wake();
      } catch (e) {
        failure.fail(e);
      }
    });
    service.on('error', (e: Error) => failure.fail(e));

    const streaming = service.subscribe(plugin, this.slotName, '0/00000000').then(
      () => {
        throw new Error('replication stream closed by the server');
      },
      (e: unknown) => {
        if (e instanceof Error && /is active for PID/i.test(e.message)) return 'standby' as const;
        throw e;
      },
    );
    streaming.catch(() => undefined);
    const started = new Promise<void>((resolve) => service.once('start', () => resolve()));
    const first = await Promise.race([started.then(() => 'started' as const), streaming, failure.promise]);
    if (first === 'standby') return 'standby';
    this.markActive();

    const statusTimer = setInterval(sendStatus, this.opts.statusIntervalMs ?? 10_000);
    let sessionOver = false;
    const relayBatch = async (max: number): Promise<boolean> => {
      const { rows, mark } = buffer.take(max);
      if (rows.length) {
        const started = Date.now();
        buffer.publishing = true;
        try {
          await this.opts.publisher.publish(rows);
          const ackedAt = Date.now();
          // Deleted before the slot is confirmed: a crash in between replays rows, never strands them.
          await this.deleteRows(control, rows.map((r) => r.id));
          this.observePublished(rows, ackedAt);
          this.logger.debug?.(`[outbox logical] published ${rows.length} rows in ${ackedAt - started} ms`);
        } finally {
          buffer.publishing = false;
        }
      }
      if (this.isKilled || sessionOver) return false;
      if (mark !== undefined && mark > buffer.confirmed) {
        buffer.confirmed = mark;
        sendStatus();
      }
      if (paused && buffer.pendingRows <= lowWater) {
        socket()?.resume();
        paused = false;
      }
      return true;
    };
    const processing = (async (): Promise<'ended'> => {
      while (!sessionOver) {
        if (this.stopping) {
          // A clean stop hands over what already arrived (and confirms it), so that a rolling
          // restart re-publishes as little as possible.
          for (let i = 0; i < 8 && buffer.hasWork && !this.isKilled; i++) {
            if (!(await relayBatch(this.batchSize))) break;
          }
          if (!this.isKilled) {
            this.lastUnseenRetry = 0;
            await this.retryUnseenDeletes(control);
          }
          break;
        }
        await this.retryUnseenDeletes(control);
        if (!buffer.hasWork) {
          await this.wakeup.wait(1_000);
          continue;
        }
        const deadline = buffer.lingerUntil(this.batchSize, this.maxBatchWaitMs);
        if (deadline === undefined) {
          // At once, but after this turn: the rest of what the socket delivered joins the batch.
          await new Promise((r) => setImmediate(r));
        } else {
          while (!this.stopping && buffer.pendingRows < this.batchSize && Date.now() < deadline) {
            await this.wakeup.wait(deadline - Date.now());
          }
        }
        if (this.stopping) continue;
        if (!(await relayBatch(this.batchSize))) break;
      }
      return 'ended';
    })();
    try {
      return await Promise.race([processing, streaming, failure.promise]);
    } finally {
      sessionOver = true;
      clearInterval(statusTimer);
      processing.catch(() => undefined);
    }
  }
}

/** A slot the server has invalidated (`wal_status = 'lost'`): it can never stream again. */
export function slotIsLost(slot: { wal_status: string | null }): boolean {
  return slot.wal_status === 'lost';
}
