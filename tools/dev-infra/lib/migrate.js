'use strict';
// Run every apps/<app>/src/migrate.ts (there may be none yet), one after the other: compiled
// from the build folder (lib/build.js) when one is given, else through @swc-node/register.
const { listMigrations, runArgs, describeRun, buildServiceEnv } = require('./services');
const { spawnNode } = require('./children');
const u = require('./util');

async function runMigrations(infra, { log = u.logger('migrate'), buildDir } = {}) {
  const migrations = listMigrations();
  if (migrations.length === 0) {
    log('no apps/*/src/migrate.ts yet: nothing to migrate');
    return [];
  }
  const width = Math.max(...migrations.map((m) => `${m.app} migrate`.length));
  for (const m of migrations) {
    const started = Date.now();
    log(`${m.app}: ${describeRun(m.entry, buildDir)}`);
    const child = spawnNode(`${m.app} migrate`, runArgs(m.entry, buildDir), { env: buildServiceEnv({ app: m.app, infra }), width });
    const { code, signal, error } = await child.exited;
    if (error || code !== 0) {
      throw new u.InfraError(`migration of ${m.app} failed (${error ? error.message : signal || `exit code ${code}`})`);
    }
    log(`${m.app}: migrated in ${u.formatMs(Date.now() - started)}`);
  }
  return migrations.map((m) => m.app);
}

module.exports = { runMigrations };
