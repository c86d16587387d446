import { Logger, type LoggerService } from '@nestjs/common';
import { Client } from 'pg';
import type { Counter, Histogram } from 'prom-client';
import { MetricsRegistry, type ReadinessCheck } from '@herald/platform/observability';
import type { OutboxPublisher, OutboxRow } from './outbox-publisher';
import { OUTBOX_RELAY_LOCK_SQL } from './outbox.constants';

export type RelayKind = 'logical' | 'polling';
/** standby: another instance holds the relay lock (or the slot); outage: Postgres or Kafka failed. */
export type RelayStatus = 'idle' | 'starting' | 'standby' | 'active' | 'outage' | 'stopped';

export interface OutboxRelayOptions {
  databaseUrl: string;
  publisher: OutboxPublisher;
  metrics?: MetricsRegistry;
  logger?: LoggerService;
  /** Rows per Kafka send (default 500). */
  batchSize?: number;
  /**
   * How long a partial batch may wait for more rows before it is sent (default 10 ms) — only under
   * load: a change that finds the relay idle is published at once.
   */
  maxBatchWaitMs?: number;
  /** How often a standby instance tries to become the active one (default 2 s). */
  standbyRetryMs?: number;
  /** Backoff after an outage: doubles from initial to max, with jitter (default 500 ms → 15 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** `application_name` of the relay's connections, so that operators (and tests) can find them. */
  applicationName?: string;
}

export interface OutboxRelay {
  readonly kind: RelayKind;
  readonly status: RelayStatus;
  start(): void;
  /** Finishes the batch in flight (publish, delete, confirm), then closes its connections. */
  stop(): Promise<void>;
  /** Drops everything at once, as a crash would: nothing in flight is confirmed or deleted. */
  kill(): Promise<void>;
  readinessCheck(): ReadinessCheck;
}

export interface OutboxRelayMetrics {
  published: Counter;
  latency: Histogram;
}

export function outboxRelayMetrics(metrics: MetricsRegistry): OutboxRelayMetrics {
  return {
    published: metrics.counter({
      name: 'herald_outbox_published_total',
      help: 'Outbox rows published to herald.resource-changes.v1 and acknowledged (re-publications after a crash count again)',
    }),
    latency: metrics.histogram({
      name: 'herald_outbox_publish_latency_seconds',
      help: 'From the commit of the outbox row (its insert time for the polling relay) to the Kafka acknowledgement',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }),
  };
}

/**
 * Resolves waiters early: new rows, a NOTIFY, or stop(). A wake with nobody waiting is kept for
 * the next wait, so a notification that arrives while a batch is in flight is not lost.
 */
export class Wakeup {
  private readonly waiters = new Set<() => void>();
  private pending = false;

  /** A wake arrived while nobody waited (the next wait returns at once). */
  get isPending(): boolean {
    return this.pending;
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  wake(): void {
    if (this.waiters.size === 0) {
      this.pending = true;
      return;
    }
    for (const w of [...this.waiters]) w();
  }
}

/** A promise that is rejected from outside (a connection error) and never reported as unhandled. */
export class Failure {
  readonly promise: Promise<never>;
  private rejectFn!: (e: Error) => void;

  constructor() {
    this.promise = new Promise<never>((_, reject) => (this.rejectFn = reject));
    this.promise.catch(() => undefined);
  }

  fail(e: unknown): void {
    this.rejectFn(e instanceof Error ? e : new Error(String(e)));
  }
}

/**
 * What both relays share: one active instance per database (advisory lock), a session that
 * runs until something fails, retries with backoff, the readiness state and the metrics.
 */
export abstract class OutboxRelayBase implements OutboxRelay {
  abstract readonly kind: RelayKind;
  protected readonly logger: LoggerService;
  protected readonly metrics: OutboxRelayMetrics;
  protected readonly batchSize: number;
  protected readonly maxBatchWaitMs: number;
  protected readonly wakeup = new Wakeup();
  protected stopping = false;
  private killed = false;
  private loop?: Promise<void>;
  private currentStatus: RelayStatus = 'idle';
  private lastError?: string;
  private outageSince?: number;

  constructor(protected readonly options: OutboxRelayOptions) {
    this.logger = options.logger ?? new Logger('OutboxRelay');
    this.metrics = outboxRelayMetrics(options.metrics ?? new MetricsRegistry('outbox-relay'));
    this.batchSize = options.batchSize ?? 500;
    this.maxBatchWaitMs = options.maxBatchWaitMs ?? 10;
  }

  get status(): RelayStatus {
    return this.currentStatus;
  }

  get isKilled(): boolean {
    return this.killed;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.currentStatus = 'starting';
    this.loop = this.run();
  }

  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.loop) return;
    this.stopping = true;
    this.wakeup.wake();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const outcome = await Promise.race([this.loop.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(`[outbox ${this.kind}] did not stop within ${timeoutMs} ms; closing its connections`);
      await this.kill();
    }
  }

  async kill(): Promise<void> {
    this.stopping = true;
    this.killed = true;
    this.wakeup.wake();
    await this.abortSession().catch(() => undefined);
    await this.loop?.catch(() => undefined);
  }

  readinessCheck(): ReadinessCheck {
    return {
      name: 'outbox-relay',
      check: async () => {
        if (this.currentStatus === 'outage') {
          throw new Error(`outbox relay (${this.kind}) is retrying: ${this.lastError ?? 'unknown error'}`);
        }
      },
    };
  }

  /** Runs until the active work stops ('ended'), or reports that another instance is active. */
  protected abstract runSession(): Promise<'standby' | 'ended'>;
  /** Closes the session's connections right now (kill). */
  protected abstract abortSession(): Promise<void>;

  /** Called by a session once it holds the lock and its connections work. */
  protected markActive(): void {
    if (this.currentStatus === 'outage') {
      const secs = this.outageSince ? ((Date.now() - this.outageSince) / 1000).toFixed(1) : '?';
      this.logger.log(`[outbox ${this.kind}] recovered after ${secs} s; relaying again`);
    } else if (this.currentStatus !== 'active') {
      this.logger.log(`[outbox ${this.kind}] active: this instance relays the outbox`);
    }
    this.currentStatus = 'active';
    this.lastError = undefined;
    this.outageSince = undefined;
  }

  protected newClient(): Client {
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: this.options.applicationName ?? 'herald-outbox-relay',
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    return client;
  }

  /** The relay lock of this database, held by `client`'s session until it ends. */
  protected async tryRelayLock(client: Client): Promise<boolean> {
    const r = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${OUTBOX_RELAY_LOCK_SQL}) AS locked`);
    return r.rows[0]?.locked === true;
  }

  protected observePublished(rows: readonly OutboxRow[], ackedAt: number): void {
    this.metrics.published.inc(rows.length);
    for (const row of rows) {
      const since = (row.committedAt ?? row.createdAt).getTime();
      this.metrics.latency.observe(Math.max(0, ackedAt - since) / 1000);
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        const outcome = await this.runSession();
        if (this.stopping) break;
        if (outcome === 'standby') {
          if (this.currentStatus !== 'standby') {
            this.logger.log(`[outbox ${this.kind}] standing by: another instance relays this database`);
          }
          this.currentStatus = 'standby';
          failures = 0;
          await this.wakeup.wait(this.options.standbyRetryMs ?? 2_000);
          continue;
        }
        failures = 0;
      } catch (e) {
        if (this.stopping) break;
        failures += 1;
        const message = e instanceof Error ? e.message : String(e);
        if (this.currentStatus !== 'outage') this.outageSince = Date.now();
        this.currentStatus = 'outage';
        this.lastError = message;
        const delay = this.backoff(failures);
        this.logger.warn(`[outbox ${this.kind}] relay interrupted (attempt ${failures}): ${message}; retrying in ${delay} ms`);
        await this.wakeup.wait(delay);
      }
    }
    this.currentStatus = 'stopped';
  }

  private backoff(failures: number): number {
    const initial = this.options.backoffInitialMs ?? 500;
    const max = this.options.backoffMaxMs ?? 15_000;
    const base = Math.min(max, initial * 2 ** Math.min(failures - 1, 16));
    return Math.round(base / 2 + (Math.random() * base) / 2);
  }
}
