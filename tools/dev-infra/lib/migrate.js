'use strict';
// Run every apps/<app>/src/migrate.ts (there may be none yet), one after the other.
const { listMigrations, nodeArgs, buildServiceEnv } = require('./services');
const { spawnNode } = require('./children');
const u = require('./util');

async function runMigrations(infra, { log = u.logger('migrate') } = {}) {
  const migrations = listMigrations();
  if (migrations.length === 0) {
    log('no apps/*/src/migrate.ts yet: nothing to migrate');
    return [];
  }
  const width = Math.max(...migrations.map((m) => `${m.app} migrate`.length));
  for (const m of migrations) {
    const started = Date.now();
    log(`${m.app}: node -r @swc-node/register ${m.entry}`);
    const child = spawnNode(`${m.app} migrate`, nodeArgs(m.entry), { env: buildServiceEnv({ app: m.app, infra }), width });
    const { code, signal, error } = await child.exited;
    if (error || code !== 0) {
      throw new u.InfraError(`migration of ${m.app} failed (${error ? error.message : signal || `exit code ${code}`})`);
    }
    log(`${m.app}: migrated in ${u.formatMs(Date.now() - started)}`);
  }
  return migrations.map((m) => m.app);
}

module.exports = { runMigrations };
