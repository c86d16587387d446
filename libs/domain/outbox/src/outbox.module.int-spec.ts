import { randomBytes } from 'node:crypto';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { DatabaseEnv, HeraldConfigModule, KafkaEnv } from '@herald/platform/config';
import { KafkaModule } from '@herald/platform/kafka';
import { MetricsRegistry, ObservabilityModule, ReadinessRegistry } from '@herald/platform/observability';
import { deleteKafkaNamespace, kafkaBrokers, uniqueKafkaNamespace, waitFor, type TestDatabase } from '@herald/platform/testing';
import { OutboxEnv, OutboxModule, OutboxRelayRunner, OutboxWriter } from './index';
import { createOutboxDatabase } from './testing';

// The module as the domain-api uses it: config in, relay started after bootstrap, stopped (and
// its slot released) on close, readiness and metrics registered.

describe('OutboxModule', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let app: INestApplicationContext | undefined;
  const namespace = uniqueKafkaNamespace('outbox-module');
  const slot = `t_outbox_mod_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    ({ db, ds } = await createOutboxDatabase('outbox-module'));
  });

  afterAll(async () => {
    await app?.close();
    await ds?.destroy();
    await db?.drop();
    await deleteKafkaNamespace(namespace).catch(() => undefined);
  });

  it('starts the configured relay on bootstrap, publishes, reports readiness and metrics, and stops on close', async () => {
    const schema = z.object({ ...DatabaseEnv.shape, ...KafkaEnv.shape, ...OutboxEnv.shape });
    const env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      HERALD_KAFKA_NAMESPACE: namespace,
      HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
      HERALD_OUTBOX_SLOT: slot,
    };

    @Module({
      imports: [
        HeraldConfigModule.forRoot('domain-api', schema, env),
        ObservabilityModule.forRoot({ service: 'domain-api', logLevel: 'silent' }),
        KafkaModule.forRoot({ clientId: 'outbox-module-test' }),
        OutboxModule.forRoot(),
      ],
    })
    class TestAppModule {}

    app = await NestFactory.createApplicationContext(TestAppModule, { logger: false });
    await app.init();
    const runner = app.get(OutboxRelayRunner);
    expect(runner.relay?.kind).toBe('logical'); // the default
    await waitFor(() => runner.relay?.status === 'active', { timeoutMs: 30_000, message: 'the relay to be active' });
    expect(app.get(ReadinessRegistry).all().map((c) => c.name)).toContain('outbox-relay');

    const writer = app.get(OutboxWriter);
    await ds.transaction((m) =>
      writer.append(m, {
        tenantId: 'tenant-1',
        projectId: null,
        resourceType: 'client',
        resourceId: 'client-1',
        action: 'created',
        initiator: { userId: 'user-1', fullName: 'Ann', logonAccount: 'ann@example.com' },
        before: null,
        after: { name: 'ACME' },
        changedFields: ['name'],
      }),
    );
    const metrics = app.get(MetricsRegistry).registry;
    await waitFor(
      async () => (await metrics.getSingleMetric('herald_outbox_published_total')?.get())?.values[0]?.value === 1,
      { timeoutMs: 30_000, message: 'one row published' },
    );
    await waitFor(async () => Number((await ds.query('SELECT count(*) AS n FROM domain.outbox'))[0].n) === 0, {
      message: 'the outbox to be empty',
    });
    const text = await metrics.metrics();
    for (const name of [
      'herald_outbox_backlog_rows',
      'herald_outbox_oldest_age_seconds',
      'herald_outbox_published_total',
      'herald_outbox_publish_latency_seconds_bucket',
    ]) {
      expect(text).toContain(name);
    }

    await app.close();
    app = undefined;
    expect(runner.relay?.status).toBe('stopped');
    // The slot stays (it is the relay's position) but nobody streams from it any more.
    await waitFor(
      async () =>
        (await ds.query<{ active: boolean }[]>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]))[0]
          ?.active === false,
      { message: 'the slot to be released' },
    );
  });
});
