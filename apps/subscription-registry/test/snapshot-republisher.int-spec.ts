import { randomBytes, randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { Topics, type SubscriptionSnapshot } from '@herald/contracts';
import { uniqueKafkaNamespace, type TestDatabase } from '@herald/platform/testing';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import {
  CreateSubscription,
  DeleteSubscription,
  EndpointProbe,
  RotateSigningSecret,
  SnapshotPublisher,
  SubscriptionSnapshotSink,
  UpdateSubscription,
  UrlGuard,
} from '@herald/registry/subscriptions';
import { KafkaFixture, closeRegistryTables, openRegistryTables, startRegistry, waitFor, type RunningRegistry } from './registry-harness';

/** Kafka unreachable at the moment of the publish: every send fails, as the producer's would. */
class UnreachableBrokerSink extends SubscriptionSnapshotSink {
  async publish(): Promise<void> {
    throw new Error('KafkaJSConnectionError: connect ECONNREFUSED');
  }
  async tombstone(): Promise<void> {
    throw new Error('KafkaJSConnectionError: connect ECONNREFUSED');
  }
}

class NoProbe extends EndpointProbe {
  verify(): never {
    throw new Error('not used: 2xx hooks are not verified');
  }
  send(): never {
    throw new Error('not used');
  }
}

class AllowAll extends UrlGuard {
  async refusal(): Promise<string | null> {
    return null;
  }
}

// A change committed while its publish failed (or a crash between commit and publish) still
// reaches the compacted topic: the republisher publishes it at start-up and on its timer.
describe('snapshot republisher', () => {
  const namespace = uniqueKafkaNamespace('reg-repub');
  const kafka = new KafkaFixture(namespace);
  const secretsKey = `k1:${randomBytes(32).toString('base64')}`;
  let db: TestDatabase;
  let ds: DataSource;
  let registry: RunningRegistry | undefined;
  let snapshots: KafkaMessage[];
  const snapshotsOf = (id: string) =>
    snapshots.filter((m) => m.key?.toString() === id).map((m) => (m.value ? (JSON.parse(m.value.toString()) as SubscriptionSnapshot) : null));

  beforeAll(async () => {
    ({ db, ds } = await openRegistryTables(kafka, 'repub'));
    snapshots = await kafka.collect(Topics.Subscriptions);
  }, 60_000);

  afterAll(() => closeRegistryTables(kafka, { registry, ds, db }), 60_000);

  it('publishes at start-up what was committed while Kafka was unreachable, tombstones included, then keeps republishing', async () => {
    const secrets = SubscriptionSecrets.fromSpec(secretsKey);
    const failing = new SnapshotPublisher(ds, new UnreachableBrokerSink());
    const create = new CreateSubscription(ds, secrets, failing, new NoProbe(), new AllowAll());
    const tenantId = randomUUID();
    const kept = await create.execute({ tenantId, ownerUserId: 'u1', settings: { url: 'https://example.com/kept', eventTypes: ['*'] } });
    const gone = await create.execute({ tenantId, ownerUserId: 'u1', settings: { url: 'https://example.com/gone', eventTypes: ['*'] } });
    await new UpdateSubscription(ds, secrets, failing, new NoProbe(), new AllowAll()).execute({
      tenantId,
      subscription: { id: kept.subscription.id },
      patch: { timeoutMs: 1234 },
    });
    await new DeleteSubscription(ds, secrets, failing).execute({ tenantId, subscription: { id: gone.subscription.id } });

    // Committed, not published.
    const pending = await ds.query(`SELECT id, version, published_version FROM registry.subscriptions`);
    expect(pending).toEqual([{ id: kept.subscription.id, version: 2, published_version: 0 }]);
    expect(await ds.query(`SELECT id FROM registry.deleted_subscriptions`)).toEqual([{ id: gone.subscription.id }]);
    expect(snapshots).toHaveLength(0);

    registry = await startRegistry({
      DATABASE_URL: db.url,
      HERALD_KAFKA_NAMESPACE: namespace,
      HERALD_SECRETS_KEY: secretsKey,
      HERALD_SUBSCRIPTIONS_REPUBLISH_MS: '300',
    });
    const [snapshot] = await waitFor('republished snapshot', () => snapshotsOf(kept.subscription.id).length > 0 && snapshotsOf(kept.subscription.id));
    expect(snapshot).toMatchObject({ id: kept.subscription.id, version: 2, timeoutMs: 1234 });
    await waitFor('republished tombstone', () => snapshotsOf(gone.subscription.id).length > 0);
    expect(snapshotsOf(gone.subscription.id)).toEqual([null]);
    await waitFor('marked published', async () => {
      const rows = await ds.query(`SELECT version, published_version FROM registry.subscriptions`);
      const tombstones = await ds.query(`SELECT id FROM registry.deleted_subscriptions`);
      return rows[0].published_version === 2 && tombstones.length === 0;
    });

    const metric = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
    await waitFor('metrics say nothing pending', async () => {
      const text = await (await fetch(`${registry!.url}/metrics`)).text();
      return metric(text, 'herald_subscription_snapshots_pending') === 0 && text.includes('herald_subscription_snapshots_published_total{');
    });

    // A lost publish while running (here: a version bumped behind the service's back) is picked up by the timer.
    await ds.query(`UPDATE registry.subscriptions SET version = version + 1, updated_at = now() WHERE id = $1`, [kept.subscription.id]);
    await waitFor('timer republish', () => snapshotsOf(kept.subscription.id).some((s) => s?.version === 3));
  }, 60_000);

  it('drops a previous signing secret once its grace ended, with a new snapshot', async () => {
    const app = registry!.app;
    const tenantId = randomUUID();
    const created = await app.get(CreateSubscription).execute({ tenantId, ownerUserId: 'u1', settings: { url: 'https://example.com/rot', eventTypes: ['*'] } });
    const id = created.subscription.id;
    await app.get(RotateSigningSecret).execute({ tenantId, subscription: { id }, graceMs: 500 });
    const rotated = await waitFor('two secrets', () => snapshotsOf(id).find((s) => s?.version === 2));
    expect(rotated.signingSecrets).toHaveLength(2);
    const pruned = await waitFor('expired secret dropped', () => snapshotsOf(id).find((s) => s?.version === 3), 15_000);
    expect(pruned.signingSecrets).toEqual([rotated.signingSecrets[0]]);
  }, 30_000);
});
