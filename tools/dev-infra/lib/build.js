'use strict';
// The services run compiled, as the image runs them: `npm start`, `npm run migrate`, the
// operator CLI, the test harness's spawnService and the benchmarks all use the output of
// deploy/docker/compile.js (the Dockerfile's build step: swc, decorator metadata, path aliases
// rewritten to relative requires) instead of compiling TypeScript at run time with
// @swc-node/register, which kept the compiler and its caches in every service's memory.
//
// Builds are cached in `.herald/build/<key>/` where <key> hashes the content of every input
// (sources, assets, .swcrc, tsconfig.base.json, compile.js, the swc version): a change to any
// source gives a new key and a new build (about a second); an unchanged tree reuses the last
// one. A build is written to a temporary folder and renamed into place, under a cross-process
// lock, so parallel jest workers and a concurrent `npm start` never see half a build. The
// newest few builds are kept (a service started from an older one keeps its files).
//
// HERALD_SERVICES_FROM=source runs the TypeScript through @swc-node/register as before (for
// comparing, or a debugger that wants .ts files).
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const u = require('./util');

const KEEP_BUILDS = 4;
const COMPILE_JS = path.join(u.ROOT, 'deploy', 'docker', 'compile.js');

/** 'build' (default) or 'source', from HERALD_SERVICES_FROM. */
function servicesFrom(env = process.env) {
  const v = (env.HERALD_SERVICES_FROM || 'build').trim();
  if (v !== 'build' && v !== 'source') throw new u.InfraError(`HERALD_SERVICES_FROM=${v}: expected build (default) or source`);
  return v;
}

/** The cache key of `root`'s build: a hash of every input's path and content. */
function buildKey(root = u.ROOT, compileJs = COMPILE_JS) {
  const { inputFiles, swcVersion } = require(compileJs);
  const { sources, assets, config } = inputFiles(root);
  const hash = crypto.createHash('sha256');
  hash.update(`swc ${swcVersion(root)}\0`);
  for (const file of [compileJs, ...config, ...sources, ...assets]) {
    hash.update(path.relative(root, file));
    hash.update('\0');
    hash.update(fs.readFileSync(file));
    hash.update('\0');
  }
  return { key: hash.digest('hex').slice(0, 16), files: sources.length + assets.length };
}

function listBuilds(buildsDir) {
  let names = [];
  try {
    names = fs.readdirSync(buildsDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^[0-9a-f]{16}$/.test(n) && fs.existsSync(path.join(buildsDir, n, '.complete')))
    .map((n) => ({ name: n, dir: path.join(buildsDir, n), mtimeMs: fs.statSync(path.join(buildsDir, n, '.complete')).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
}

/** Remove all but the newest `keep` complete builds, and temporary folders of dead builders. */
function pruneBuilds(buildsDir, keep = KEEP_BUILDS) {
  for (const old of listBuilds(buildsDir).slice(keep)) fs.rmSync(old.dir, { recursive: true, force: true });
  let names = [];
  try {
    names = fs.readdirSync(buildsDir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^\.tmp-[0-9a-f]{16}-(\d+)$/.exec(n);
    if (m && !u.isAlive(Number(m[1]))) fs.rmSync(path.join(buildsDir, n), { recursive: true, force: true });
  }
}

const pending = new Map();

/**
 * The current build of `root` (default: this repository), compiled when the sources changed.
 * Resolves { dir, key, compiled: boolean, ms }. One build at a time per process and per
 * machine (lock file in the state folder).
 */
function ensureBuild({ root = u.ROOT, buildsDir = path.join(u.STATE_DIR, 'build'), compileJs = COMPILE_JS, log } = {}) {
  const started = Date.now();
  const memo = `${root}\0${buildsDir}`;
  // In-process callers share one promise (the lock below is per process id, so re-entrant).
  const inFlight = pending.get(memo);
  if (inFlight) return inFlight;
  const run = (async () => {
    const { key } = buildKey(root, compileJs);
    const dir = path.join(buildsDir, key);
    const done = () => fs.existsSync(path.join(dir, '.complete'));
    if (done()) {
      touch(dir);
      return { dir, key, compiled: false, ms: Date.now() - started };
    }
    u.ensureDir(buildsDir);
    return u.withLock(
      `build-${crypto.createHash('sha256').update(buildsDir).digest('hex').slice(0, 8)}`,
      async () => {
        if (done()) return { dir, key, compiled: false, ms: Date.now() - started };
        const tmp = path.join(buildsDir, `.tmp-${key}-${process.pid}`);
        fs.rmSync(tmp, { recursive: true, force: true });
        const { compile } = require(compileJs);
        const r = await compile(tmp, { root });
        fs.writeFileSync(path.join(tmp, '.complete'), `${JSON.stringify({ key, sources: r.sources, assets: r.assets, at: new Date().toISOString() })}\n`);
        fs.rmSync(dir, { recursive: true, force: true }); // an incomplete leftover
        fs.renameSync(tmp, dir);
        pruneBuilds(buildsDir);
        const ms = Date.now() - started;
        if (log) log(`compiled ${r.sources} files to ${path.relative(root, dir)} in ${u.formatMs(ms)} (sources changed since the last build)`);
        return { dir, key, compiled: true, ms };
      },
      { onWait: (owner) => log && log(`waiting for the build by pid ${owner}…`) },
    );
  })();
  pending.set(memo, run);
  const forget = () => pending.delete(memo);
  run.then(forget, forget);
  return run;
}

function touch(dir) {
  const now = new Date();
  try {
    fs.utimesSync(path.join(dir, '.complete'), now, now);
  } catch {
    /* pruned meanwhile: harmless, the caller holds the files it loads */
  }
}

/** `apps/<app>/src/<file>.ts` → its compiled file in `buildDir`. */
function compiledEntry(buildDir, tsEntry) {
  return path.join(buildDir, tsEntry.replace(/\.ts$/, '.js'));
}

/**
 * The build folder the services run from (compiled now if the sources changed), or undefined
 * with HERALD_SERVICES_FROM=source.
 */
async function serviceBuildDir({ env = process.env, log } = {}) {
  if (servicesFrom(env) === 'source') return undefined;
  return (await ensureBuild({ log })).dir;
}

module.exports = { servicesFrom, buildKey, ensureBuild, pruneBuilds, listBuilds, compiledEntry, serviceBuildDir, KEEP_BUILDS };
