'use strict';
// `npm run docker:build`: builds herald/<app>:<tag> for the four services and herald/migrate:<tag>
// from the one Dockerfile (HERALD_IMAGE_TAG, default `dev`, matches docker-compose.yml and the
// k8s dev overlay). Without a Docker engine it says so and exits 1 having built nothing.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const APPS = [
  { app: 'domain-api', port: 3000 },
  { app: 'subscription-registry', port: 3001 },
  { app: 'event-router', port: 3002 },
  { app: 'delivery-dispatcher', port: 3003 },
];

/** The `docker build` argument lists, in order (the migrate image first: it shares every layer). */
function buildPlan(tag = process.env.HERALD_IMAGE_TAG || 'dev') {
  return [
    ['build', '--target', 'migrate', '-t', `herald/migrate:${tag}`, '.'],
    ...APPS.map(({ app, port }) => [
      'build',
      '--build-arg',
      `APP=${app}`,
      '--build-arg',
      `APP_PORT=${port}`,
      '-t',
      `herald/${app}:${tag}`,
      '.',
    ]),
  ];
}

function dockerEngineAnswers() {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return !r.error && r.status === 0;
}

function main() {
  if (!dockerEngineAnswers()) {
    console.error(
      'docker:build: no Docker engine answers (`docker info` failed), so no image was built. ' +
        'Run it where Docker runs; here the Dockerfile and the compiled output are checked by the tests in deploy/docker/.',
    );
    process.exit(1);
  }
  for (const args of buildPlan()) {
    const tag = args[args.indexOf('-t') + 1];
    console.log(`docker ${args.join(' ')}`);
    const started = Date.now();
    const r = spawnSync('docker', args, {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, DOCKER_BUILDKIT: '1' },
    });
    if (r.error || r.status !== 0) {
      console.error(
        `docker:build: ${tag} failed (${r.error ? r.error.message : `exit code ${r.status}`})`,
      );
      process.exit(1);
    }
    console.log(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

module.exports = { buildPlan, APPS };

if (require.main === module) main();
