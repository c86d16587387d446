'use strict';
// Small helpers shared by the dev-infra scripts. Node built-ins only: these run before
// node_modules exists.
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const STATE_DIR = path.join(ROOT, '.herald');

/** An expected failure: the bin scripts print its message as one line, without a stack. */
class InfraError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InfraError';
  }
}

function logger(tag) {
  const prefix = `[${tag}]`;
  const fn = (msg) => process.stdout.write(`${prefix} ${msg}\n`);
  fn.warn = (msg) => process.stderr.write(`${prefix} warning: ${msg}\n`);
  fn.error = (msg) => process.stderr.write(`${prefix} error: ${msg}\n`);
  return fn;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function ensureDir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function stateDir(...parts) {
  return path.join(STATE_DIR, ...parts);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Write via a temp file and rename, so a reader never sees half a file. */
function writeFileAtomic(file, content, mode) {
  ensureDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, mode === undefined ? undefined : { mode });
  fs.renameSync(tmp, file);
}

function writeJson(file, value) {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

function readPid(file) {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim().split('\n')[0], 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when the process exists and is not a zombie. */
function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return process.platform !== 'linux';
  }
}

/** The command line of a process ('' if unknown). */
function cmdlineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    if (process.platform === 'linux') return '';
    const r = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : '';
  }
}

/** Processes whose command line contains every needle (Linux /proc scan; [] elsewhere). */
function findProcesses(needles) {
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const found = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const cmd = cmdlineOf(pid);
    if (cmd && needles.every((n) => cmd.includes(n)) && isAlive(pid)) found.push(pid);
  }
  return found;
}

function portAnswers(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Resolves true when we can bind the port (on every interface when `host` is undefined). */
function portIsFree(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, ...(host ? { host } : {}), exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Stop a process by pid: each signal in turn, waiting `waitMs` after each for it to exit, then
 * SIGKILL. Returns how it ended: 'not-running' | 'stopped' | 'killed'.
 */
async function stopPid(pid, { signals = ['SIGTERM'], waitMs = 30_000 } = {}) {
  if (!isAlive(pid)) return 'not-running';
  for (const signal of signals) {
    try {
      process.kill(pid, signal);
    } catch {
      return 'stopped';
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return 'stopped';
      await sleep(100);
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  const deadline = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  return 'killed';
}

/**
 * Stops a server this tool started (PostgreSQL, Kafka), found by the pid its instance recorded:
 * `signal`, then SIGKILL after 30 s; its pid file goes either way. `status` is the instance's
 * (`{ running, pid }`). Returns false when it was not running.
 */
async function stopServer({ name, stateDir, pidFile, status, signal, log }) {
  if (!status.running) {
    log(`${name} (${path.relative(ROOT, stateDir)}) is not running`);
    fs.rmSync(pidFile, { force: true });
    return false;
  }
  log(`stopping ${name} (pid ${status.pid})…`);
  const started = Date.now();
  const how = await stopPid(status.pid, { signals: [signal], waitMs: 30_000 });
  fs.rmSync(pidFile, { force: true });
  log(`${name} ${how === 'killed' ? 'killed (did not stop within 30 s)' : `stopped in ${formatMs(Date.now() - started)}`}`);
  return true;
}

/** Is `cmd` on PATH? (no shell: spawns it with `args` and checks it ran) */
function commandWorks(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return { ok: false, error: r.error };
  return { ok: r.status === 0, status: r.status, stdout: r.stdout || '', stderr: r.stderr || '' };
}

/**
 * A cross-process lock (a file created with O_EXCL holding the owner's pid), so that two
 * `npm test` started at the same time do not both start a broker. Stale locks (owner dead)
 * are taken over. `dir`: where the lock file lives (default .herald/).
 */
async function withLock(name, fn, { timeoutMs = 10 * 60_000, onWait, dir = STATE_DIR } = {}) {
  const file = path.join(dir, `${name}.lock`);
  ensureDir(dir);
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const owner = readPid(file);
      if (owner === process.pid) break;
      if (owner !== undefined && !isAlive(owner)) {
        try {
          fs.unlinkSync(file);
        } catch {
          /* someone else took it over */
        }
        continue;
      }
      if (owner === undefined) {
        // Being written right now, or left empty by a crash: give it a moment.
        const age = Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > 5000) fs.rmSync(file, { force: true });
      }
      if (!announced && onWait) onWait(owner);
      announced = true;
      if (Date.now() > deadline) throw new InfraError(`timed out waiting for ${file} (held by pid ${owner})`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
  }
}

function dirStats(dir) {
  let files = 0;
  let bytes = 0;
  for (const name of fs.readdirSync(dir)) {
    const st = fs.statSync(path.join(dir, name));
    if (st.isFile()) {
      files += 1;
      bytes += st.size;
    }
  }
  return { files, bytes };
}

function formatBytes(bytes) {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / (1024 * 1024))} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${bytes} B`;
}

function formatMs(ms) {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function envPort(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InfraError(`${name}=${raw} is not a TCP port (1-65535)`);
  }
  return port;
}

/**
 * Run a bin script's main and exit with the code it resolves to (default 0). An InfraError is
 * printed as one line; anything else with its stack. Either exits 1.
 */
function runMain(tag, main) {
  main().then(
    (code) => process.exit(typeof code === 'number' ? code : 0),
    (err) => {
      const log = logger(tag);
      if (err instanceof InfraError || err?.name === 'InfraError') log.error(err.message);
      else log.error(err?.stack || String(err));
      process.exit(1);
    },
  );
}

module.exports = {
  ROOT,
  STATE_DIR,
  InfraError,
  logger,
  sleep,
  ensureDir,
  stateDir,
  readJson,
  writeJson,
  writeFileAtomic,
  readPid,
  isAlive,
  cmdlineOf,
  findProcesses,
  portAnswers,
  portIsFree,
  stopPid,
  stopServer,
  commandWorks,
  withLock,
  dirStats,
  formatBytes,
  formatMs,
  envPort,
  runMain,
};
