import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { DeliveryOutcome, DeliveryStatus } from '@herald/contracts';
import { dataSourceOptions, runMigrations } from '@herald/platform/db';
import { createTestDatabase, waitFor } from '@herald/platform/testing';
import { DELIVERY_LOG_MIGRATIONS } from './migrations';
import { MaintainDeliveryLogPartitions } from './partitions/maintain-delivery-log-partitions';
import { addDays, daySuffix, utcDay } from './partitions/partition-days';
import { RecordDeliveryOutcomes } from './record-delivery-outcomes';
import { DeliveryLogRepository } from './delivery-log.repository';
import { SearchDeliveries } from './use-cases/search-deliveries';
import type { DeliveryLogSettings } from './settings';

const DAY = 86_400_000;
const settings: DeliveryLogSettings = {
  retentionDays: 28,
  daysAhead: 3,
  maintenanceIntervalMs: 3_600_000,
};

function outcome(
  p: Partial<DeliveryOutcome> & Pick<DeliveryOutcome, 'deliveryId'>,
): DeliveryOutcome {
  return {
    eventId: `evt-${p.deliveryId}`,
    subscriptionId: 'sub-a',
    tenantId: 'tenant-1',
    eventType: 'task.created',
    resourceType: 'task',
    resourceId: 'task-1',
    status: 'queued',
    attempt: 0,
    at: new Date().toISOString(),
    origin: 'event',
    ...p,
  };
}

describe('delivery log (Postgres)', () => {
  let db: { url: string; drop(): Promise<void> };
  let ds: DataSource;
  let maintain: MaintainDeliveryLogPartitions;
  let record: RecordDeliveryOutcomes;
  let repo: DeliveryLogRepository;

  beforeAll(async () => {
    db = await createTestDatabase('delivery-log');
    await runMigrations({
      url: db.url,
      schema: 'registry',
      entities: [],
      migrations: DELIVERY_LOG_MIGRATIONS,
    });
    ds = new DataSource(
      dataSourceOptions({ url: db.url, schema: 'registry', entities: [], migrations: [] }),
    );
    await ds.initialize();
    maintain = new MaintainDeliveryLogPartitions(ds, settings);
    record = new RecordDeliveryOutcomes(ds, maintain, settings);
    repo = new DeliveryLogRepository(ds);
    await maintain.execute({ now: new Date() });
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('logs outcomes idempotently, in any order: status only moves forward, attempts once each', async () => {
    const id = randomUUID();
    const t0 = Date.now();
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const queued = outcome({ deliveryId: id, status: 'queued', at: at(0), body: '{"n":1}' });
    const a1 = outcome({
      deliveryId: id,
      status: 'retrying',
      attempt: 1,
      at: at(10),
      httpStatus: 503,
      errorClass: 'http_status',
      durationMs: 12,
      responseExcerpt: 'busy',
    });
    const a2 = outcome({
      deliveryId: id,
      status: 'delivered',
      attempt: 2,
      at: at(20),
      httpStatus: 200,
      durationMs: 8,
    });

    // The attempts arrive before the router's queued outcome, and attempt 2 before attempt 1.
    const first = await record.execute({ outcomes: [a2] });
    expect(first.newAttempts.map((a) => a.attempt)).toEqual([2]);
    const second = await record.execute({ outcomes: [a1, queued, a2] });
    expect(second.newAttempts.map((a) => a.attempt)).toEqual([1]);
    // The same batch again (at-least-once redelivery): nothing new, nothing rewritten.
    const third = await record.execute({
      outcomes: [
        queued,
        a1,
        a2,
        { ...a1, status: 'discarded', errorClass: 'subscription_inactive' },
      ],
    });
    expect(third.newAttempts).toEqual([]);

    const d = await repo.get('tenant-1', id);
    expect(d).toMatchObject({
      status: 'delivered',
      attempts: 2,
      lastHttpStatus: 200,
      body: '{"n":1}',
      nextAttemptAt: null,
    });
    expect(d!.attemptLog.map((a) => [a.attempt, a.status, a.httpStatus])).toEqual([
      [1, 'retrying', 503],
      [2, 'delivered', 200],
    ]);
    expect(d!.attemptLog[0]).toMatchObject({
      durationMs: 12,
      errorClass: 'http_status',
      responseExcerpt: 'busy',
    });
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM registry.deliveries WHERE delivery_id = $1`,
      [id],
    );
    expect(n).toBe(1);
    // Another tenant does not see it.
    expect(await repo.get('tenant-2', id)).toBeNull();
  });

  it('logs one row per delivery when its Queued entry and its attempt are written at the same time (two consumers)', async () => {
    // The Queued consumer (herald.deliveries.v1) and the outcomes consumer write the log
    // concurrently: neither transaction sees the other's row. Seen on main: two rows for one
    // delivery (one under the routing time, one under the attempt's), shown twice in the
    // console's event history.
    const id = randomUUID();
    const routedAt = new Date(Date.now() - 40).toISOString();
    const queued = outcome({ deliveryId: id, status: 'queued', at: routedAt, routedAt, body: '{"n":1}' });
    const delivered = outcome({
      deliveryId: id,
      status: 'delivered',
      attempt: 1,
      at: new Date().toISOString(),
      routedAt,
      httpStatus: 200,
      durationMs: 3,
    });
    // The attempt's transaction stays open (onNewAttempts runs inside it) until the Queued
    // entry's write has either finished or is waiting for it.
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    let inside = false;
    const first = record.execute({
      outcomes: [delivered],
      onNewAttempts: async () => {
        inside = true;
        await held;
      },
    });
    await waitFor(() => inside, { timeoutMs: 10_000, message: 'the attempt is written, not committed' });
    let secondDone = false;
    const second = record.execute({ outcomes: [queued] }).then((r) => {
      secondDone = true;
      return r;
    });
    await waitFor(
      async () => {
        if (secondDone) return true;
        const [{ n }] = await ds.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return n > 0;
      },
      { timeoutMs: 10_000, message: 'the Queued write finished or waits for the attempt' },
    );
    release();
    await Promise.all([first, second]);

    const rows: { status: string; attempt_count: number; body: string | null }[] = await ds.query(
      `SELECT status, attempt_count, body FROM registry.deliveries WHERE delivery_id = $1`,
      [id],
    );
    expect(rows).toEqual([{ status: 'delivered', attempt_count: 1, body: '{"n":1}' }]);
    const page = await repo.search('tenant-1', 'sub-a', { resourceId: 'task-1' }, { limit: 100 });
    expect(page.items.filter((d) => d.deliveryId === id)).toHaveLength(1);
  });

  it('keeps the first final status: a late retrying or a second final status changes nothing', async () => {
    const id = randomUUID();
    const failed = (attempt: number) =>
      outcome({
        deliveryId: id,
        status: 'failed',
        attempt,
        httpStatus: 500,
        errorClass: 'http_status',
      });
    expect((await record.execute({ outcomes: [failed(3)] })).newlyFailed).toBe(1);
    await record.execute({
      outcomes: [outcome({ deliveryId: id, status: 'retrying', attempt: 2, httpStatus: 500 })],
    });
    const again = await record.execute({
      outcomes: [
        failed(3),
        outcome({
          deliveryId: id,
          status: 'discarded',
          attempt: 4,
          errorClass: 'subscription_gone',
        }),
      ],
    });
    // Failed once, counted once (herald_dlq_messages_total).
    expect(again.newlyFailed).toBe(0);
    const d = await repo.get('tenant-1', id);
    expect(d!.status).toBe('failed');
    expect(d!.attemptLog.map((a) => a.attempt)).toEqual([2, 3, 4]);
  });

  it("logs a receiver's NUL bytes and cut emoji as U+FFFD instead of failing the whole batch (issue 12.1)", async () => {
    // A receiver answered `oops\0bad`; another message was cut in the middle of an emoji. Both
    // reach the writer unsanitised (an older dispatcher, or any other producer): jsonb refused
    // `\u0000` ("unsupported Unicode escape sequence") and lone `\udXXX`, and the registry's
    // outcome consumer retried that batch for ever.
    const id = randomUUID();
    const other = randomUUID();
    const emoji = '😀';
    const result = await record.execute({
      outcomes: [
        outcome({ deliveryId: id, status: 'queued', body: `{"name":"a\u0000b${emoji.charAt(0)}"}` }),
        outcome({
          deliveryId: id,
          status: 'retrying',
          attempt: 1,
          httpStatus: 500,
          errorClass: 'http_status',
          errorMessage: `HTTP 500 ${emoji.charAt(1)}`,
          responseExcerpt: 'oops\u0000bad',
        }),
        outcome({ deliveryId: other, status: 'delivered', attempt: 1, httpStatus: 200, subscriptionId: 'sub-b' }),
      ],
    });
    expect(result.newAttempts).toHaveLength(2);
    const d = await repo.get('tenant-1', id);
    expect(d!.body).toBe('{"name":"a\uFFFDb\uFFFD"}');
    expect(d!.attemptLog[0]).toMatchObject({ responseExcerpt: 'oops\uFFFDbad', errorMessage: 'HTTP 500 \uFFFD' });
    expect((await repo.get('tenant-1', other))!.status).toBe('delivered');
  });

  it('creates partitions ahead and drops days older than the retention (28 days)', async () => {
    const now = new Date();
    const past = new Date(now.getTime() - 45 * DAY);
    // The job as it ran 45 days ago: creates that window's partitions, and a delivery lands in one.
    await maintain.execute({ now: past });
    const oldId = randomUUID();
    await record.execute({
      outcomes: [outcome({ deliveryId: oldId, at: past.toISOString() })],
      now: past,
    });
    const recentId = randomUUID();
    await record.execute({
      outcomes: [
        outcome({ deliveryId: recentId, at: new Date(now.getTime() - 2 * DAY).toISOString() }),
      ],
      now,
    });
    const before = await maintain.partitions('deliveries');
    expect(before).toContain(`deliveries_p${daySuffix(utcDay(past))}`);
    expect(await repo.get('tenant-1', oldId)).not.toBeNull();

    const { dropped } = await maintain.execute({ now });

    const keepFrom = utcDay(new Date(now.getTime() - 28 * DAY));
    for (const table of ['deliveries', 'delivery_attempts'] as const) {
      const after = await maintain.partitions(table);
      expect(after).not.toContain(`${table}_p${daySuffix(utcDay(past))}`);
      expect(after.every((p) => p.slice(-8) >= daySuffix(keepFrom))).toBe(true);
      // Every day of the window exists: 28 (+ the boundary day) back and 3 ahead.
      for (let d = keepFrom; d <= addDays(utcDay(now), 3); d = addDays(d, 1))
        expect(after).toContain(`${table}_p${daySuffix(d)}`);
    }
    expect(dropped).toContain(`deliveries_p${daySuffix(utcDay(past))}`);
    expect(dropped).toContain(`delivery_attempts_p${daySuffix(utcDay(past))}`);
    expect(await repo.get('tenant-1', oldId)).toBeNull();
    expect(await repo.get('tenant-1', recentId)).not.toBeNull();
  });

  it('searches one hook by status, resource, event type and time range, newest first, by cursor', async () => {
    const search = new SearchDeliveries(repo);
    const hook = `hook-${randomUUID()}`;
    const base = Date.now() - 3 * 3_600_000;
    const statuses: DeliveryStatus[] = ['queued', 'retrying', 'delivered', 'failed', 'discarded'];
    const outcomes: DeliveryOutcome[] = [];
    for (let i = 0; i < 25; i++) {
      const deliveryId = randomUUID();
      const at = new Date(base + i * 60_000).toISOString();
      const status = statuses[i % 5];
      outcomes.push(
        outcome({
          deliveryId,
          subscriptionId: hook,
          at,
          resourceType: i % 2 ? 'task' : 'project',
          resourceId: `r-${i % 3}`,
          eventType: i % 2 ? 'task.updated' : 'project.created',
          body: '{}',
        }),
      );
      if (status !== 'queued')
        outcomes.push(outcome({ deliveryId, subscriptionId: hook, at, status, attempt: 1 }));
    }
    // Another hook of the same tenant, and the same hook id under another tenant: never listed.
    outcomes.push(outcome({ deliveryId: randomUUID(), subscriptionId: `${hook}-other` }));
    outcomes.push(
      outcome({ deliveryId: randomUUID(), subscriptionId: hook, tenantId: 'tenant-2' }),
    );
    await record.execute({ outcomes });

    const all = async (
      filter: Parameters<SearchDeliveries['execute']>[0]['filter'],
      limit = 1000,
    ) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await search.execute({
          tenantId: 'tenant-1',
          subscriptionId: hook,
          filter,
          limit,
          cursor,
        });
        seen.push(...page.items.map((d) => d.deliveryId));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };

    const everything = await all({}, 7);
    expect(everything).toHaveLength(25);
    expect(new Set(everything).size).toBe(25);
    const ordered = (
      await search.execute({ tenantId: 'tenant-1', subscriptionId: hook, filter: {}, limit: 1000 })
    ).items;
    expect(ordered.map((d) => d.deliveryId)).toEqual(everything);
    expect(ordered.map((d) => d.createdAt.getTime())).toEqual(
      [...ordered.map((d) => d.createdAt.getTime())].sort((a, b) => b - a),
    );

    expect(await all({ statuses: ['failed'] }, 2)).toHaveLength(5);
    expect(await all({ statuses: ['delivered', 'discarded'] })).toHaveLength(10);
    expect(await all({ resourceType: 'task' })).toHaveLength(12);
    expect(await all({ resourceId: 'r-0' })).toHaveLength(9);
    expect(await all({ eventTypes: ['project.created'] })).toHaveLength(13);
    expect(
      await all({ from: new Date(base + 10 * 60_000), to: new Date(base + 20 * 60_000) }),
    ).toHaveLength(10);
    expect(
      await all({ statuses: ['retrying'], resourceType: 'task', from: new Date(base) }),
    ).toHaveLength(3);
  });

  it("lists a hook's replayable deliveries once per event, oldest first, a page at a time", async () => {
    const hook = `hook-${randomUUID()}`;
    const t = Date.now() - 600_000;
    const outcomes: DeliveryOutcome[] = [];
    for (let i = 0; i < 7; i++) {
      outcomes.push(
        outcome({
          deliveryId: randomUUID(),
          subscriptionId: hook,
          eventId: `e-${i}`,
          at: new Date(t + i * 1000).toISOString(),
          body: `{"i":${i}}`,
        }),
      );
    }
    // A redelivery of e-1 (a second row for the same event), a test delivery, and one without a body.
    outcomes.push(
      outcome({
        deliveryId: randomUUID(),
        subscriptionId: hook,
        eventId: 'e-1',
        at: new Date(t + 9000).toISOString(),
        body: '{"i":1}',
        origin: 'redeliver',
      }),
    );
    outcomes.push(
      outcome({
        deliveryId: randomUUID(),
        subscriptionId: hook,
        eventId: 'test',
        at: new Date(t + 9500).toISOString(),
        body: '{}',
        origin: 'test',
      }),
    );
    outcomes.push(
      outcome({
        deliveryId: randomUUID(),
        subscriptionId: hook,
        eventId: 'nobody',
        status: 'delivered',
        attempt: 1,
        at: new Date(t + 9600).toISOString(),
      }),
    );
    await record.execute({ outcomes });
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof repo.resendablePage>> = await repo.resendablePage(
        'tenant-1',
        hook,
        { since: new Date(t + 1000), until: new Date(t + 60_000) },
        { limit: 4, after },
      );
      seen.push(...page.map((d) => d.eventId));
      if (page.length < 4) break;
      after = page[page.length - 1].position;
    }
    expect(seen).toEqual(['e-1', 'e-2', 'e-3', 'e-4', 'e-5', 'e-6']);
  });

  it('writes 10,000 deliveries (queued + delivered outcomes) in batches of 500', async () => {
    const hook = `hook-${randomUUID()}`;
    const outcomes: DeliveryOutcome[] = [];
    for (let i = 0; i < 10_000; i++) {
      const deliveryId = randomUUID();
      outcomes.push(outcome({ deliveryId, subscriptionId: hook, body: `{"i":${i}}` }));
      outcomes.push(
        outcome({
          deliveryId,
          subscriptionId: hook,
          status: 'delivered',
          attempt: 1,
          httpStatus: 200,
          durationMs: 3,
        }),
      );
    }
    const started = performance.now();
    for (let i = 0; i < outcomes.length; i += 500)
      await record.execute({ outcomes: outcomes.slice(i, i + 500) });
    const ms = performance.now() - started;
    process.stdout.write(
      `delivery log: 20,000 outcomes (10,000 deliveries) in ${ms.toFixed(0)} ms = ${((20_000 / ms) * 1000).toFixed(0)} outcomes/s\n`,
    );
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM registry.deliveries WHERE subscription_id = $1 AND status = 'delivered' AND body IS NOT NULL`,
      [hook],
    );
    expect(n).toBe(10_000);
  });
});
