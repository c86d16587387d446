import { domainDataSource } from '@herald/domain/resources';
import { DatabaseEnv, loadConfigOrExit } from '@herald/platform/config';
import { runMigrations } from '@herald/platform/db';

/** `npm start` runs this before the service: schema `domain` (tenancy, resources, outbox). */
async function main(): Promise<void> {
  const config = loadConfigOrExit('domain-api migrate', DatabaseEnv);
  await runMigrations(domainDataSource(config.DATABASE_URL), (line) => process.stdout.write(`${line}\n`));
}

main().catch((e: unknown) => {
  process.stderr.write(`[domain-api migrate] ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
