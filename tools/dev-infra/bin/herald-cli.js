#!/usr/bin/env node
'use strict';
// `npm run -s herald -- <command> [options]`: Herald's operator commands, each run by the
// service that owns the data (domain-api: tenants, users, API keys; subscription-registry:
// dialect credentials). Against the running stack: DATABASE_URL / KAFKA_BROKERS from the
// environment, else from .herald/env.json (written by `npm start` / `npm run infra:up`).
// Output is the command's own: ONE JSON line on success, ONE clear line on stderr and a
// non-zero exit on failure. It runs the app's compiled cli.js from the build (lib/build.js; the
// image runs the same file), or the TypeScript with HERALD_SERVICES_FROM=source.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const u = require('../lib/util');

const COMMANDS = {
  'tenant:create': 'domain-api',
  'user:create': 'domain-api',
  'key:create': 'domain-api',
  'worksection:admin-key': 'subscription-registry',
};

function usage() {
  return `usage: npm run -s herald -- <${Object.keys(COMMANDS).join('|')}> [--option value …]`;
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  const app = COMMANDS[command];
  if (!app) {
    process.stderr.write(`herald: ${command ? `unknown command "${command}"` : 'no command given'}; ${usage()}\n`);
    return 2;
  }
  const env = { ...process.env };
  const saved = u.readJson(u.stateDir('env.json')) || {};
  for (const name of ['DATABASE_URL', 'KAFKA_BROKERS']) {
    if (!env[name] && saved[name]) env[name] = saved[name];
  }
  if (!env.DATABASE_URL) {
    process.stderr.write('herald: no database: start Herald with `npm start` (or `npm run infra:up`), or set DATABASE_URL and KAFKA_BROKERS\n');
    return 1;
  }
  const swc = path.join(u.ROOT, 'node_modules', '@swc', 'core');
  if (!fs.existsSync(swc)) {
    process.stderr.write('herald: dependencies are not installed: run `npm ci` (or `npm start`, which installs them)\n');
    return 1;
  }
  let buildDir;
  try {
    // Quiet: the output is the command's own JSON line.
    buildDir = await require('../lib/build').serviceBuildDir();
  } catch (err) {
    process.stderr.write(`herald: could not compile the services: ${err.message}\n`);
    return 1;
  }
  const { runArgs } = require('../lib/services');
  const result = spawnSync(process.execPath, [...runArgs(path.join('apps', app, 'src', 'cli.ts'), buildDir), command, ...args], {
    cwd: u.ROOT,
    env: { ...env, LOG_LEVEL: env.LOG_LEVEL || 'silent', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: 'inherit',
  });
  if (result.error) {
    process.stderr.write(`herald: could not run ${app}'s CLI: ${result.error.message}\n`);
    return 1;
  }
  return result.status ?? 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`herald: ${err.message}\n`);
    process.exitCode = 1;
  },
);
