import { DatabaseEnv, loadConfigOrExit } from '@herald/platform/config';
import { runMigrations, type HeraldDataSourceOptions } from './data-source';

/**
 * A service's `migrate` entry point (`npm start` runs it before the service): its migrations on
 * DATABASE_URL (validated first), each one run printed; on failure, the reason and exit 1.
 */
export function migrateMain(service: string, dataSourceOf: (databaseUrl: string) => HeraldDataSourceOptions): void {
  const migrate = async () => {
    const config = loadConfigOrExit(`${service} migrate`, DatabaseEnv);
    await runMigrations(dataSourceOf(config.DATABASE_URL), (line) => process.stdout.write(`${line}\n`));
  };
  migrate().catch((e: unknown) => {
    process.stderr.write(`[${service} migrate] ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
