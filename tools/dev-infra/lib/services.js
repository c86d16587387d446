'use strict';
// The Herald services: which apps exist, their ports, how to run them and the environment
// they get. Shared by `npm start`, `npm run migrate`, the test harness (spawnService in
// @herald/platform/testing) and the benchmarks. Node built-ins only.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const u = require('./util');

/** In start order: the APIs first, then the router (which reads the registry's topic), then the dispatcher. */
const SERVICES = [
  {
    app: 'domain-api',
    defaultPort: 3000,
    portEnv: 'DOMAIN_API_PORT',
    title: 'native domain API',
    links: [
      ['API', '/v1'],
      ['docs', '/docs'],
      ['OpenAPI', '/openapi.json'],
    ],
  },
  {
    app: 'subscription-registry',
    defaultPort: 3001,
    portEnv: 'REGISTRY_PORT',
    title: 'webhook registry API',
    links: [
      ['API', '/v1/webhooks'],
      ['console', '/console/'],
      ['docs', '/docs'],
      ['OpenAPI', '/openapi.json'],
    ],
  },
  { app: 'event-router', defaultPort: 3002, portEnv: 'ROUTER_PORT', title: 'event router', links: [] },
  { app: 'delivery-dispatcher', defaultPort: 3003, portEnv: 'DISPATCHER_PORT', title: 'delivery dispatcher', links: [] },
];

const SECRETS_KEY_FILE = u.stateDir('secrets.key');

function serviceDef(app) {
  const def = SERVICES.find((s) => s.app === app);
  return def || { app, defaultPort: undefined, portEnv: undefined, title: app, links: [] };
}

/** apps/<app>/src/main.ts, relative to the repo root. */
function entryOf(app) {
  return path.join('apps', app, 'src', 'main.ts');
}

function migrationOf(app) {
  return path.join('apps', app, 'src', 'migrate.ts');
}

/** { 'domain-api': 3000, … } from the *_PORT variables of `env`, else the defaults. */
function resolvePorts(env = process.env) {
  const ports = {};
  for (const s of SERVICES) {
    const raw = env[s.portEnv];
    const port = raw === undefined || raw === '' ? s.defaultPort : Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new u.InfraError(`${s.portEnv}=${raw} is not a TCP port (1-65535)`);
    ports[s.app] = port;
  }
  return ports;
}

/**
 * The services that have an apps/<app>/src/main.ts (all known ones with `all: true`), with
 * their port and URLs.
 */
function listServices({ env = process.env, all = false } = {}) {
  const ports = resolvePorts(env);
  // HERALD_APPS=domain-api,subscription-registry starts only those.
  const only = (env.HERALD_APPS || '').split(',').map((a) => a.trim()).filter(Boolean);
  const unknown = only.filter((a) => !SERVICES.some((s) => s.app === a));
  if (unknown.length) throw new u.InfraError(`HERALD_APPS: unknown app ${unknown.join(', ')} (known: ${SERVICES.map((s) => s.app).join(', ')})`);
  return SERVICES.filter((s) => (all || fs.existsSync(path.join(u.ROOT, entryOf(s.app)))) && (!only.length || only.includes(s.app))).map((s) => ({
    app: s.app,
    title: s.title,
    port: ports[s.app],
    portEnv: s.portEnv,
    entry: entryOf(s.app),
    url: `http://localhost:${ports[s.app]}`,
    links: s.links,
  }));
}

/** apps/*\/src/migrate.ts that exist: known services first (in start order), then others by name. */
function listMigrations() {
  const appsDir = path.join(u.ROOT, 'apps');
  let apps = [];
  try {
    apps = fs.readdirSync(appsDir).filter((a) => fs.existsSync(path.join(appsDir, a, 'src', 'migrate.ts')));
  } catch {
    return [];
  }
  const order = (a) => {
    const i = SERVICES.findIndex((s) => s.app === a);
    return i === -1 ? SERVICES.length : i;
  };
  return apps.sort((a, b) => order(a) - order(b) || a.localeCompare(b)).map((app) => ({ app, entry: migrationOf(app) }));
}

/**
 * The node flags of a long-running service (an app's `main`), the same in every launcher: here
 * (npm start, the tests, the benches) and the image's CMD (Dockerfile; docker compose and the
 * Kubernetes Deployments run it as it is). dev-infra.spec.ts and deploy/docker/dockerfile.spec.ts
 * pin both. Figures: bench/e2e/findings.md, "Memory".
 * - `--max-semi-space-size=4`: V8's young generation is two semi-spaces of up to 16 MB each by
 *   default on this machine, which an idle service keeps; 4 MB each takes ~24 MB off every
 *   service's RSS, idle and at its peak.
 * - `--heap-growing-percent=100`: after each major GC V8 lets the old generation grow to the
 *   live set x a factor before it marks again; it picks the factor itself (from GC and mutator
 *   speed), up to 4 under the default 4 GB heap limit, so at a burst or a fan-out a service held
 *   2-3x its live set in garbage (heapUsed 60 -> 200 MB between two major GCs; the Kafka fetch
 *   Buffers those dead objects keep, 50-60 MB in the registry, go with them). 100 fixes the
 *   factor at 2: peaks -15 to -110 MB in bench:e2e (the registry 296 -> 189) at no CPU per delivery this host could tell apart
 *   (50, a factor of 1.5, cost +15-20 %). It is not a limit: a live set of 500 MB still gets
 *   1 GB before the next major GC, up to V8's default heap limit (bench/e2e/findings.md, "Memory").
 * - No `--max-old-space-size`: a 512 MB limit brought every peak under 250 MB in bench:e2e (V8
 *   lets the old generation grow to ~1.4x the live set under it, up to 4x under its 4 GB
 *   default), but a legitimate fan-out can hold more than that live — the router renders a
 *   batch's deliveries as heap strings before it produces them (10,000 hooks x a 50 KB change is
 *   ~500 MB) and the dispatcher keeps up to 1,000 pending bodies per partition — and a heap
 *   out-of-memory there is a crash loop on the same uncommitted batch, every tenant on its
 *   partitions stopped. An operator who bounds memory sets NODE_OPTIONS=--max-old-space-size=…
 *   with the pod's limit (README, "Configuration").
 */
const SERVICE_NODE_FLAGS = Object.freeze(['--max-semi-space-size=4', '--heap-growing-percent=100']);

/**
 * glibc malloc settings in the environment of every service (an operator's own value wins), the
 * same in the image (Dockerfile ENV, pinned by deploy/docker/dockerfile.spec.ts). Node allocates
 * Buffers (Kafka fetch responses, socket reads, zlib) with malloc; glibc raises its mmap threshold
 * to the largest block freed (up to 32 MB), after which such Buffers come from the main heap and
 * stay resident once freed: a service kept ~100 MB outside V8's heap after load. A fixed 128 KiB
 * threshold returns them to the system when freed, and two arenas bound what the threads
 * (libuv's pool: zlib, DNS) keep.
 */
const SERVICE_MALLOC_ENV = Object.freeze({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' });

/**
 * `--enable-source-maps` (stack traces that name the TypeScript files and lines) costs a service
 * 25-35 MB of RSS — Node keeps the source map of every module it loaded, dependencies' included —
 * so a service runs without it unless HERALD_SOURCE_MAPS=1; its stack traces then name the
 * compiled `dist/.../*.js` files and lines. One-shot entries (migrate, the CLI) always have it.
 */
function nodeFlags(entry, env = process.env) {
  if (!/(^|[\\/])main\.ts$/.test(entry)) return ['--enable-source-maps'];
  return [...SERVICE_NODE_FLAGS, ...(env.HERALD_SOURCE_MAPS === '1' ? ['--enable-source-maps'] : [])];
}

/** `node <these> <entry.ts>` runs TypeScript through @swc-node/register (tsconfig paths, decorator metadata). */
function nodeArgs(entry, env = process.env) {
  return [...nodeFlags(entry, env), '-r', '@swc-node/register', entry];
}

/**
 * The node arguments that run `entry` (`apps/<app>/src/<x>.ts`, relative to the repo root):
 * its compiled file in `buildDir` (lib/build.js), as the image runs it; or, without a
 * buildDir (HERALD_SERVICES_FROM=source), the TypeScript through @swc-node/register. The entry
 * is always the last argument; `env` is the service's (HERALD_SOURCE_MAPS).
 */
function runArgs(entry, buildDir, env = process.env) {
  if (!buildDir) return nodeArgs(entry, env);
  return [...nodeFlags(entry, env), path.join(buildDir, entry.replace(/\.ts$/, '.js'))];
}

/** How runArgs() runs an entry, for a log line. */
function describeRun(entry, buildDir) {
  return buildDir ? `node ${path.relative(u.ROOT, path.join(buildDir, entry.replace(/\.ts$/, '.js')))}` : `node -r @swc-node/register ${entry}`;
}

/**
 * The dev AES-256 key for secrets at rest: HERALD_SECRETS_KEY when set, else the one in
 * .herald/secrets.key (base64 of 32 random bytes), generated the first time.
 */
function secretsKey(env = process.env) {
  if (env.HERALD_SECRETS_KEY) return env.HERALD_SECRETS_KEY;
  try {
    const key = fs.readFileSync(SECRETS_KEY_FILE, 'utf8').trim();
    if (Buffer.from(key, 'base64').length === 32) return key;
  } catch {
    /* first time */
  }
  const key = crypto.randomBytes(32).toString('base64');
  u.ensureDir(u.STATE_DIR);
  try {
    fs.writeFileSync(SECRETS_KEY_FILE, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    return fs.readFileSync(SECRETS_KEY_FILE, 'utf8').trim(); // written concurrently
  }
}

/**
 * The environment of one service process: `base` (default process.env), plus DATABASE_URL,
 * KAFKA_BROKERS, NODE_ENV, PORT, the four *_PORT variables, HERALD_SECRETS_KEY,
 * HERALD_PUBLIC_BASE_URL and SERVICE_MALLOC_ENV (unless set), then `extra` (which wins; an undefined value removes a variable).
 *
 * HERALD_PUBLIC_BASE_URL is where clients reach the service's resources: the domain API's URL
 * (env HERALD_PUBLIC_BASE_URL, default http://localhost:<domain-api port>) for every service
 * but the registry, whose own API URL it is (env HERALD_REGISTRY_PUBLIC_BASE_URL, default
 * http://localhost:<registry port>).
 */
function buildServiceEnv({ app, port, infra = {}, base = process.env, extra = {}, nodeEnv } = {}) {
  const ports = resolvePorts(base);
  if (app && port) ports[app] = port;
  const env = { ...base };
  const databaseUrl = infra.databaseUrl || base.DATABASE_URL;
  const kafkaBrokers = infra.kafkaBrokers || base.KAFKA_BROKERS;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  if (kafkaBrokers) env.KAFKA_BROKERS = kafkaBrokers;
  env.NODE_ENV = nodeEnv || base.NODE_ENV || 'development';
  for (const s of SERVICES) env[s.portEnv] = String(ports[s.app]);
  if (app && ports[app] !== undefined) env.PORT = String(ports[app]);
  env.HERALD_SECRETS_KEY = secretsKey(base);
  const domainUrl = base.HERALD_PUBLIC_BASE_URL || `http://localhost:${ports['domain-api']}`;
  env.HERALD_PUBLIC_BASE_URL =
    app === 'subscription-registry' ? base.HERALD_REGISTRY_PUBLIC_BASE_URL || `http://localhost:${ports['subscription-registry']}` : domainUrl;
  if (env.KAFKAJS_NO_PARTITIONER_WARNING === undefined) env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  for (const [k, v] of Object.entries(SERVICE_MALLOC_ENV)) if (env[k] === undefined) env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined || v === null) delete env[k];
    else env[k] = String(v);
  }
  return env;
}

/** One GET; resolves { status, body } or { error }. */
async function probe(url, timeoutMs = 2000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(url, { signal: controller.signal });
    const body = await res.text();
    return { status: res.status, body };
  } catch (err) {
    return { error: err.cause?.code || err.name || String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Poll GET <baseUrl>/health/ready until it answers 200. `isAlive()` false stops early.
 * Rejects with a message naming the service and what it last answered.
 */
async function waitForReady(name, baseUrl, { timeoutMs = 120_000, intervalMs = 250, isAlive = () => true, path: readyPath = '/health/ready' } = {}) {
  const url = `${baseUrl.replace(/\/$/, '')}${readyPath}`;
  const started = Date.now();
  let last = 'no answer yet';
  while (Date.now() - started < timeoutMs) {
    if (!isAlive()) throw new u.InfraError(`${name} exited before ${url} answered 200 (last: ${last})`);
    const r = await probe(url);
    if (r.status === 200) return Date.now() - started;
    last = r.status ? `HTTP ${r.status} ${r.body.replace(/\s+/g, ' ').slice(0, 300)}` : r.error;
    await u.sleep(intervalMs);
  }
  throw new u.InfraError(`${name} did not answer GET ${url} with 200 within ${u.formatMs(timeoutMs)} (last: ${last})`);
}

/** The table `npm start` prints: one row per URL. */
function urlTable(services, { databaseUrl, kafkaBrokers } = {}) {
  const rows = [];
  for (const s of services) {
    const base = `http://localhost:${s.port}`;
    for (const [what, p] of s.links) rows.push([s.app, `${s.title}: ${what}`, `${base}${p}`]);
    rows.push([s.app, 'ready', `${base}/health/ready`]);
    rows.push([s.app, 'metrics', `${base}/metrics`]);
  }
  if (databaseUrl) rows.push(['postgres', 'DATABASE_URL', databaseUrl]);
  if (kafkaBrokers) rows.push(['kafka', 'KAFKA_BROKERS', kafkaBrokers]);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map((r) => `  ${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`);
}

module.exports = {
  SERVICES,
  SECRETS_KEY_FILE,
  serviceDef,
  entryOf,
  resolvePorts,
  listServices,
  listMigrations,
  SERVICE_NODE_FLAGS,
  SERVICE_MALLOC_ENV,
  nodeFlags,
  nodeArgs,
  runArgs,
  describeRun,
  secretsKey,
  buildServiceEnv,
  waitForReady,
  urlTable,
};
