import { Client } from 'pg';

/*
 * What PostgreSQL did beside a phase that the phase did not ask for: autovacuum and autoanalyze
 * of the bench database's tables (the registry's delivery log grows by ~16,000 rows a burst), and
 * the shared server's other users (other databases' vacuums and queries) — so that a phase whose
 * PostgreSQL CPU is an outlier can be explained from the per-phase table.
 */

/** One phase's PostgreSQL activity (`PgActivity.endPhase`). */
export interface PgPhaseActivity {
  /** Autovacuum / autoanalyze runs of the bench database that ended in the phase (pg_stat_user_tables deltas). */
  autovacuum: number;
  autoanalyze: number;
  /** The same by table (`schema.table`), the tables with any. */
  tables: Record<string, { autovacuum: number; autoanalyze: number }>;
  /** Samples taken (every `intervalMs`) and how many found a VACUUM or ANALYZE running (pg_stat_progress_*). */
  samples: number;
  benchVacuumSamples: number;
  otherVacuumSamples: number;
  /** The bench database's tables seen being vacuumed or analyzed, with how many samples saw each. */
  benchTablesSeen: Record<string, number>;
  /** Mean of other databases' active client backends over the samples (the shared server's other users). */
  otherActiveBackends: number;
}

interface Counts {
  autovacuum: number;
  autoanalyze: number;
}

const SAMPLE_SQL = `
select
  coalesce((select array_agg(relid::regclass::text) from pg_stat_progress_vacuum where datname = current_database()), '{}') as bench_vacuums,
  coalesce((select array_agg(relid::regclass::text) from pg_stat_progress_analyze where datname = current_database()), '{}') as bench_analyzes,
  (select count(*)::int from pg_stat_progress_vacuum where datname is distinct from current_database())
    + (select count(*)::int from pg_stat_progress_analyze where datname is distinct from current_database()) as other_vacuums,
  (select count(*)::int from pg_stat_activity
    where backend_type = 'client backend' and state = 'active' and datname is distinct from current_database()) as other_active`;

export class PgActivity {
  readonly byPhase: Record<string, PgPhaseActivity> = {};
  private counts = new Map<string, Counts>();
  private timer?: NodeJS.Timeout;
  private sampling = false;
  private phase = PgActivity.emptySamples();

  private constructor(
    private readonly client: Client,
    private readonly intervalMs: number,
  ) {}

  /** Connects to the bench database and starts sampling; null (and why, logged by the caller) when it cannot. */
  static async start(url: string, intervalMs = 500): Promise<PgActivity> {
    const client = new Client({ connectionString: url, application_name: 'bench-e2e-pg-activity' });
    await client.connect();
    const activity = new PgActivity(client, intervalMs);
    activity.counts = await activity.readCounts();
    activity.timer = setInterval(() => void activity.sample(), intervalMs);
    return activity;
  }

  private static emptySamples() {
    return { samples: 0, benchVacuumSamples: 0, otherVacuumSamples: 0, benchTablesSeen: {} as Record<string, number>, otherActive: 0 };
  }

  private async readCounts(): Promise<Map<string, Counts>> {
    const { rows } = await this.client.query<{ t: string; v: number; a: number }>(
      `select schemaname || '.' || relname as t, autovacuum_count::int as v, autoanalyze_count::int as a from pg_stat_user_tables`,
    );
    return new Map(rows.map((r) => [r.t, { autovacuum: r.v, autoanalyze: r.a }]));
  }

  private async sample(): Promise<void> {
    if (this.sampling) return; // a slow server: skip, never queue samples up
    this.sampling = true;
    try {
      const { rows } = await this.client.query<{ bench_vacuums: string[]; bench_analyzes: string[]; other_vacuums: number; other_active: number }>(SAMPLE_SQL);
      const r = rows[0];
      const bench = [...new Set([...r.bench_vacuums, ...r.bench_analyzes])];
      this.phase.samples++;
      if (bench.length > 0) this.phase.benchVacuumSamples++;
      if (r.other_vacuums > 0) this.phase.otherVacuumSamples++;
      for (const t of bench) this.phase.benchTablesSeen[t] = (this.phase.benchTablesSeen[t] ?? 0) + 1;
      this.phase.otherActive += r.other_active;
    } catch {
      // monitoring only: a failed sample is a missing sample
    } finally {
      this.sampling = false;
    }
  }

  /** Closes a phase: the autovacuum counts' deltas since the last one, and its samples. */
  async endPhase(name: string): Promise<void> {
    let now = this.counts;
    try {
      now = await this.readCounts();
    } catch {
      // keep the last counts: the next phase gets both
    }
    const tables: PgPhaseActivity['tables'] = {};
    for (const [t, c] of now) {
      const before = this.counts.get(t) ?? { autovacuum: 0, autoanalyze: 0 };
      const d = { autovacuum: c.autovacuum - before.autovacuum, autoanalyze: c.autoanalyze - before.autoanalyze };
      if (d.autovacuum !== 0 || d.autoanalyze !== 0) tables[t] = d;
    }
    this.counts = now;
    const p = this.phase;
    this.phase = PgActivity.emptySamples();
    this.byPhase[name] = {
      autovacuum: Object.values(tables).reduce((n, d) => n + d.autovacuum, 0),
      autoanalyze: Object.values(tables).reduce((n, d) => n + d.autoanalyze, 0),
      tables,
      samples: p.samples,
      benchVacuumSamples: p.benchVacuumSamples,
      otherVacuumSamples: p.otherVacuumSamples,
      benchTablesSeen: p.benchTablesSeen,
      otherActiveBackends: p.samples ? Math.round((p.otherActive / p.samples) * 10) / 10 : 0,
    };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.client.end().catch(() => undefined);
  }
}

/**
 * `VACUUM (ANALYZE)` of the bench database's tables (the registry's, each partition of the
 * delivery log, and the domain's outbox: both grow by a burst's rows), on a connection of its
 * own: BENCH_VACUUM_BEFORE_PHASE=1, before each noisy phase, so that autovacuum has less left to
 * do during it. Returns the tables vacuumed.
 */
export async function vacuumTables(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url, application_name: 'bench-e2e-vacuum' });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string }>(
      `select format('%I.%I', schemaname, relname) as t from pg_stat_user_tables order by 1`,
    );
    for (const { t } of rows) await client.query(`VACUUM (ANALYZE) ${t}`);
    return rows.map((r) => r.t);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The per-phase table's cells for a phase's activity: runs ended (tables), share of samples with one running, other databases' load. */
export function pgActivityCells(a: PgPhaseActivity | undefined): [string, string, string] {
  if (!a) return ['', '', ''];
  const short = (t: string) => t.replace(/^(public|registry)\./, '');
  const ended =
    `${a.autovacuum} / ${a.autoanalyze}` +
    (Object.keys(a.tables).length
      ? `: ${Object.entries(a.tables)
          .map(([t, d]) => `${short(t)} (${[d.autovacuum ? `v${d.autovacuum}` : '', d.autoanalyze ? `a${d.autoanalyze}` : ''].filter(Boolean).join(' ')})`)
          .join(', ')}`
      : '');
  const pct = (n: number) => (a.samples ? `${Math.round((n / a.samples) * 100)} %` : '—');
  const seen = Object.keys(a.benchTablesSeen).map(short);
  const running = `${pct(a.benchVacuumSamples)}${seen.length ? ` (${seen.join(', ')})` : ''} / ${pct(a.otherVacuumSamples)}`;
  return [ended, running, String(a.otherActiveBackends)];
}
