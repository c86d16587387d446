'use strict';
// The Docker path: when a Docker engine answers, `docker compose up -d` the postgres and kafka
// services of docker-compose.yml and wait for their health checks.
const { spawnSync } = require('node:child_process');
const u = require('./util');

let engineAnswers;

/** Does a Docker engine answer `docker info` within a few seconds? (cached per process) */
function dockerEngineAnswers() {
  if (engineAnswers === undefined) {
    const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
    engineAnswers = !r.error && r.status === 0;
  }
  return engineAnswers;
}

let composeCmd;
function compose() {
  if (composeCmd) return composeCmd;
  const v2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 10_000 });
  if (!v2.error && v2.status === 0) composeCmd = ['docker', 'compose'];
  else {
    const v1 = spawnSync('docker-compose', ['version'], { encoding: 'utf8', timeout: 10_000 });
    if (!v1.error && v1.status === 0) composeCmd = ['docker-compose'];
    else throw new u.InfraError('a Docker engine answers but neither `docker compose` nor `docker-compose` is installed (or set HERALD_INFRA=native)');
  }
  return composeCmd;
}

function runCompose(args, { inherit = false, timeout = 10 * 60_000 } = {}) {
  const [cmd, ...pre] = compose();
  return spawnSync(cmd, [...pre, ...args], { cwd: u.ROOT, encoding: 'utf8', timeout, stdio: inherit ? 'inherit' : 'pipe' });
}

const SERVICES = {
  postgres: { port: () => u.envPort('HERALD_PG_PORT', 54329) },
  kafka: { port: () => u.envPort('HERALD_KAFKA_PORT', 19092) },
};

function healthOf(service) {
  const ps = runCompose(['ps', '-q', service]);
  const id = (ps.stdout || '').trim().split('\n')[0];
  if (!id) return 'missing';
  const r = spawnSync('docker', ['inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}', id], { encoding: 'utf8' });
  return (r.stdout || '').trim() || 'unknown';
}

/** `docker compose up -d <services>` and wait until each is healthy. */
async function composeUp(services, { log = u.logger('infra') } = {}) {
  log(`Docker engine answers: docker compose up -d ${services.join(' ')}…`);
  const started = Date.now();
  const r = runCompose(['up', '-d', ...services], { inherit: true });
  if (r.error || r.status !== 0) throw new u.InfraError(`docker compose up -d ${services.join(' ')} failed (${r.error ? r.error.message : `exit code ${r.status}`})`);
  const deadline = Date.now() + 180_000;
  for (const service of services) {
    let health = healthOf(service);
    while (health !== 'healthy') {
      if (['exited', 'dead', 'missing', 'unhealthy'].includes(health) && Date.now() > started + 20_000) {
        throw new u.InfraError(`docker compose service ${service} is ${health}: see \`docker compose logs ${service}\``);
      }
      if (Date.now() > deadline) throw new u.InfraError(`docker compose service ${service} not healthy within 180 s (${health})`);
      await u.sleep(1000);
      health = healthOf(service);
    }
    log(`${service} healthy on 127.0.0.1:${SERVICES[service].port()} (docker, ${u.formatMs(Date.now() - started)})`);
  }
}

function composeStop(services, { log = u.logger('infra') } = {}) {
  log(`docker compose stop ${services.join(' ')}…`);
  const r = runCompose(['stop', ...services], { inherit: true });
  if (r.error || r.status !== 0) throw new u.InfraError(`docker compose stop failed (${r.error ? r.error.message : `exit code ${r.status}`})`);
}

function composePs(services) {
  const r = runCompose(['ps', ...services]);
  return (r.stdout || r.stderr || '').trim();
}

module.exports = { dockerEngineAnswers, composeUp, composeStop, composePs, healthOf };
