import { DatabaseEnv, loadConfigOrExit } from '@herald/platform/config';
import { runMigrations } from '@herald/platform/db';
import { registryDataSource } from './database';

/** `npm start` runs this before the service: schema `registry` (subscriptions, delivery log). */
async function main(): Promise<void> {
  const config = loadConfigOrExit('subscription-registry migrate', DatabaseEnv);
  await runMigrations(registryDataSource(config.DATABASE_URL), (line) => process.stdout.write(`${line}\n`));
}

main().catch((e: unknown) => {
  process.stderr.write(`[subscription-registry migrate] ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
