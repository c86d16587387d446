#!/usr/bin/env node
'use strict';
// npm start: dependencies → PostgreSQL + Kafka → the compiled build (deploy/docker/compile.js,
// redone when the sources changed; lib/build.js) → migrations → every app with a main.ts, each
// its own process running its compiled main.js, output prefixed; waits for /health/ready,
// prints the URLs. HERALD_SERVICES_FROM=source runs the TypeScript through @swc-node/register.
// Ctrl-C (SIGINT) or SIGTERM stops the services; PostgreSQL and Kafka keep running
// (`npm run infra:down` stops them).
const u = require('../lib/util');

const log = u.logger('start');

async function main() {
  const started = Date.now();
  const infra = await require('../lib/deps').ensureDepsAndInfra();
  const buildDir = await require('../lib/build').serviceBuildDir({ log });
  await require('../lib/migrate').runMigrations(infra, { buildDir });
  // The operator console's static files (vite build), rebuilt when a source changed; the registry serves them at /console/.
  require('../../../apps/console/scripts/ensure-built').ensureConsoleBuilt({ log });

  const { listServices, runArgs, describeRun, buildServiceEnv, waitForReady, urlTable } = require('../lib/services');
  const { spawnNode } = require('../lib/children');
  const services = listServices();
  if (services.length === 0) {
    log('no apps/*/src/main.ts yet: PostgreSQL and Kafka are up, nothing else to start');
    for (const line of urlTable([], infra)) console.log(line);
    return 0;
  }
  for (const s of services) {
    if (!(await u.portIsFree(s.port))) {
      throw new u.InfraError(`port ${s.port} for ${s.app} is already in use (another npm start?): stop what uses it, or set ${s.portEnv}`);
    }
  }

  const width = Math.max(...services.map((s) => s.app.length));
  const children = new Map();
  let stopping = false;
  let exitCode = 0;

  const stopAll = async (signal) => {
    if (stopping) return;
    stopping = true;
    for (const [, child] of children) {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, signal);
        } catch {
          /* already gone */
        }
      }
    }
    const deadline = setTimeout(() => {
      for (const [app, child] of children) {
        if (child.exitCode === null && child.signalCode === null) {
          log.warn(`${app} did not stop within 20 s: SIGKILL`);
          child.kill('SIGKILL');
        }
      }
    }, 20_000);
    await Promise.all([...children.values()].map((c) => c.exited));
    clearTimeout(deadline);
  };

  for (const s of services) {
    log(`starting ${s.app} on :${s.port} (${describeRun(s.entry, buildDir)})`);
    // Own process group: a terminal's Ctrl-C reaches only us, and we forward it once.
    const env = buildServiceEnv({ app: s.app, port: s.port, infra });
    const child = spawnNode(s.app, runArgs(s.entry, buildDir, env), { env, width, detached: true });
    children.set(s.app, child);
    child.exited.then(({ code, signal, error }) => {
      if (stopping) return;
      log.error(`${s.app} ${error ? `could not start: ${error.message}` : `exited (${signal || `code ${code}`})`}: stopping the others`);
      exitCode = 1;
      void stopAll('SIGTERM');
    });
  }
  process.on('exit', () => {
    for (const [, child] of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      log(`${signal}: stopping the services (PostgreSQL and Kafka keep running; npm run infra:down stops them)…`);
      void stopAll(signal === 'SIGHUP' ? 'SIGTERM' : signal);
    });
  }

  const timeoutMs = Number(process.env.HERALD_READY_TIMEOUT_MS) || 180_000;
  try {
    await Promise.all(
      services.map(async (s) => {
        const child = children.get(s.app);
        const took = await waitForReady(s.app, `http://127.0.0.1:${s.port}`, { timeoutMs, isAlive: () => child.exitCode === null && child.signalCode === null });
        if (!stopping) log(`${s.app} ready on :${s.port} (${u.formatMs(took)})`);
      }),
    );
  } catch (err) {
    if (!stopping) {
      log.error(err.message);
      exitCode = 1;
      await stopAll('SIGTERM');
    }
  }
  if (!stopping) {
    console.log('');
    log(`Herald is up in ${u.formatMs(Date.now() - started)} (infra: ${infra.mode}):`);
    for (const line of urlTable(services, infra)) console.log(line);
    console.log('');
    log('Ctrl-C stops the services; PostgreSQL and Kafka keep running (npm run infra:down).');
  }
  await Promise.all([...children.values()].map((c) => c.exited));
  return exitCode;
}

u.runMain('start', main);
