import { Client } from 'pg';
import { requireEnv } from './env';
import { databaseUrlFor, testDatabaseName } from './names';

export interface TestDatabase {
  /** The database's name: `t_<label>_<random>`. */
  name: string;
  /** DATABASE_URL's server and credentials, with this database. */
  url: string;
  /**
   * Terminates its connections, drops the replication slots in it (terminating the walsenders
   * that hold them) and drops the database. Safe to call twice.
   */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Server to create it on (default: DATABASE_URL). */
  baseUrl?: string;
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, application_name: 'herald-test-harness' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A fresh, empty database for one test file, on the server of DATABASE_URL. Many can exist at
 * once: tests in parallel never see each other's data.
 */
export async function createTestDatabase(label = 'test', options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const baseUrl = options.baseUrl ?? requireEnv('DATABASE_URL');
  const name = testDatabaseName(label);
  await withClient(baseUrl, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
        return;
      } catch (err) {
        // 55006: "source database template1 is being accessed by other users" (a concurrent
        // CREATE DATABASE): retry.
        if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
        await sleep(100 * attempt);
      }
    }
  });
  let dropped = false;
  return {
    name,
    url: databaseUrlFor(baseUrl, name),
    async drop() {
      if (dropped) return;
      await dropTestDatabase(baseUrl, name);
      dropped = true;
    },
  };
}

/** Drops `name` on the server of `baseUrl` with its replication slots (see TestDatabase.drop). */
export async function dropTestDatabase(baseUrl: string, name: string): Promise<void> {
  await withClient(baseUrl, async (client) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      // Walsenders streaming from the database's slots, then every other session in it.
      await client.query(
        `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`,
        [name],
      );
      await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
      const slots = await client.query<{ slot_name: string; active: boolean }>(
        `SELECT slot_name, active FROM pg_replication_slots WHERE database = $1`,
        [name],
      );
      let remaining = 0;
      for (const slot of slots.rows) {
        try {
          await client.query('SELECT pg_drop_replication_slot($1)', [slot.slot_name]);
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code !== '42704') remaining += 1; // 42704: already gone; else still active: retry
        }
      }
      if (remaining === 0) break;
      if (Date.now() > deadline) throw new Error(`could not drop the replication slots of ${name} (still active)`);
      await sleep(100);
    }
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  });
}
