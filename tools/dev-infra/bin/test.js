#!/usr/bin/env node
'use strict';
// npm test [-- <jest args>]: dependencies → PostgreSQL + Kafka (left running afterwards) →
// `nx run-many -t lint` (zero warnings) → `tsc --noEmit -p tsconfig.json` (zero errors, one
// summary line) → jest (all projects: unit, int, e2e) with JSON results
// in .herald/jest-results.json. The last line printed is alone: `N passed, N failed`
// (`, N skipped` when some were). Exits non-zero when lint, the type check or a test failed,
// or no test ran.
//
// Jest gets --forceExit (unless you pass --detectOpenHandles): a test that leaves a socket or
// timer behind must not hang a CI run after every result is in.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const u = require('../lib/util');

const log = u.logger('test');
const RESULTS = u.stateDir('jest-results.json');

function bin(name) {
  const local = path.join(u.ROOT, 'node_modules', '.bin', name);
  return fs.existsSync(local) ? [local, []] : ['npx', [name]];
}

function run(name, args, env) {
  const [cmd, pre] = bin(name);
  return new Promise((resolve) => {
    const child = spawn(cmd, [...pre, ...args], { cwd: u.ROOT, env, stdio: 'inherit' });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (err) => resolve({ code: null, error: err }));
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve({ code, signal });
    });
  });
}

async function main() {
  const started = Date.now();
  const jestArgs = process.argv.slice(2);
  let summary = '0 passed, 0 failed';
  let ok = true;
  try {
    const infra = await require('../lib/deps').ensureDepsAndInfra();
    require('../lib/infra').applyToEnv(infra);
    const env = { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' };

    const lintStarted = Date.now();
    log('lint: nx run-many -t lint (zero warnings)…');
    const lint = await run('nx', ['run-many', '-t', 'lint', '--outputStyle=static'], env);
    if (lint.code !== 0) {
      ok = false;
      log.error(`lint failed (${lint.error ? lint.error.message : lint.signal || `exit code ${lint.code}`}); running the tests anyway`);
    } else {
      log(`lint passed in ${u.formatMs(Date.now() - lintStarted)}`);
    }

    // jest runs through swc, which strips types without checking them: tsc is the type check.
    const types = await require('../lib/typecheck').typecheck();
    if (types.ok) log(types.line);
    else {
      ok = false;
      log.error(`${types.line}; running the tests anyway`);
    }

    // This run's own file (several `npm test` may run at once in one checkout), then copied
    // to .herald/jest-results.json.
    const ownResults = u.stateDir(`jest-results.${process.pid}.json`);
    fs.rmSync(ownResults, { force: true });
    const jestStarted = Date.now();
    const extra = jestArgs.includes('--detectOpenHandles') ? [] : ['--forceExit'];
    log(`jest --ci ${[...extra, ...jestArgs].join(' ')}`.trim());
    const jest = await run('jest', ['--ci', '--json', `--outputFile=${ownResults}`, ...extra, ...jestArgs], env);
    const results = u.readJson(ownResults);
    if (results) fs.renameSync(ownResults, RESULTS);
    else fs.rmSync(ownResults, { force: true });
    if (!results) {
      ok = false;
      log.error(`jest wrote no results (${jest.error ? jest.error.message : jest.signal || `exit code ${jest.code}`})`);
    } else {
      const { numPassedTests: passed, numFailedTests: failed, numPendingTests: pending, numTodoTests: todo, numTotalTests: total } = results;
      const skipped = (pending || 0) + (todo || 0);
      summary = `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
      if (jest.code !== 0 || !results.success) {
        ok = false;
        const suitesFailed = results.numFailedTestSuites || 0;
        log.error(`jest failed (${failed} failed test(s), ${suitesFailed} failed suite(s)${results.numRuntimeErrorTestSuites ? `, ${results.numRuntimeErrorTestSuites} suite(s) could not run` : ''})`);
      }
      if (total === 0 || passed + failed === 0) {
        ok = false;
        log.error('jest ran no test');
      }
      log(`jest finished in ${u.formatMs(Date.now() - jestStarted)} (${results.numTotalTestSuites} suites)`);
    }
  } catch (err) {
    ok = false;
    if (err instanceof u.InfraError) log.error(err.message);
    else log.error(err?.stack || String(err));
  }
  log(`total ${u.formatMs(Date.now() - started)}; PostgreSQL and Kafka keep running (npm run infra:down stops them)`);
  console.log(summary);
  return ok ? 0 : 1;
}

u.runMain('test', main);
