import { Client } from 'pg';

/**
 * Drops a relay's replication slot (tests, or retiring the logical relay): an abandoned slot
 * keeps WAL forever and a database with a slot cannot be dropped. Waits for its consumer to go.
 */
export async function dropOutboxReplicationSlot(databaseUrl: string, slotName: string, timeoutMs = 15_000): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await client.query<{ active_pid: number | null }>(
        'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
        [slotName],
      );
      if (r.rows.length === 0) return;
      if (r.rows[0].active_pid === null) {
        try {
          await client.query('SELECT pg_drop_replication_slot($1)', [slotName]);
          return;
        } catch (e) {
          if (Date.now() > deadline) throw e;
        }
      } else if (Date.now() > deadline) {
        throw new Error(`replication slot ${slotName} is still in use by pid ${r.rows[0].active_pid}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
