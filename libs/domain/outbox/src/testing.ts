import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations } from '@herald/platform/db';
import { createTestDatabase, type TestDatabase } from '@herald/platform/testing';
import { OUTBOX_MIGRATIONS } from './migrations';
import { OutboxEntity } from './outbox.entity';

/** A database of the spec's own with the outbox table (its migrations run), and a DataSource on it. */
export async function createOutboxDatabase(label: string): Promise<{ db: TestDatabase; ds: DataSource }> {
  const db = await createTestDatabase(label);
  const opts = { url: db.url, schema: 'domain', entities: [OutboxEntity], migrations: OUTBOX_MIGRATIONS };
  await runMigrations(opts);
  const ds = new DataSource(dataSourceOptions({ ...opts, migrations: [] }));
  await ds.initialize();
  return { db, ds };
}
