'use strict';
// Native Apache Kafka (single-node KRaft, combined broker+controller) from the Maven Central
// jars, run as a detached JVM that outlives `npm start` / `npm run infra:up`.
// State: .herald/kafka/{libs,data,server.properties,kafka.log,kafka.out}, pid in .herald/kafka.pid.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const u = require('./util');

const KAFKA_VERSION = '4.1.1';
const HOST = '127.0.0.1';
const DEFAULT_PORT = 19092;
const DEFAULT_CONTROLLER_PORT = 19093;
const HEAP = '-Xmx768m';

const KAFKA_DIR = u.stateDir('kafka');
// The jars are shared by every broker we run (see `instance`).
const LIBS_DIR = path.join(KAFKA_DIR, 'libs');
const LIBS_MARKER = path.join(LIBS_DIR, '.herald-kafka-version');
const POM = path.join(__dirname, '..', 'kafka', 'pom.xml');
const LOG4J2 = path.join(__dirname, '..', 'kafka', 'log4j2.xml');
const PROBE_TOPIC = 'herald-infra-probe';
const PROBE_GROUP = 'herald-infra-probe';
// offsets.topic.num.partitions and transaction.state.log.num.partitions (here and in docker-compose.yml).
const COORDINATOR_PARTITIONS = 4;
// metadata.max.idle.interval.ms (here and in docker-compose.yml): see serverProperties.
const IDLE_METADATA_NOOP_MS = 10_000;

const rel = (p) => path.relative(u.ROOT, p);

/**
 * Where one broker lives: by default `.herald/kafka` and HERALD_KAFKA_PORT /
 * HERALD_KAFKA_CONTROLLER_PORT (the one `npm start` and `npm test` share); `{ stateDir, port,
 * controllerPort }` gives another, independent one (e.g. `npm run chaos`, which restarts its own
 * broker and must never touch the shared one). The jars stay in .herald/kafka/libs.
 */
function instance({ stateDir = u.STATE_DIR, port, controllerPort } = {}) {
  const kafkaDir = path.join(stateDir, 'kafka');
  return {
    stateDir,
    kafkaDir,
    dataDir: path.join(kafkaDir, 'data'),
    propsFile: path.join(kafkaDir, 'server.properties'),
    logFile: path.join(kafkaDir, 'kafka.log'),
    outFile: path.join(kafkaDir, 'kafka.out'),
    pidFile: path.join(stateDir, 'kafka.pid'),
    ports: {
      port: port ?? u.envPort('HERALD_KAFKA_PORT', DEFAULT_PORT),
      controllerPort: controllerPort ?? u.envPort('HERALD_KAFKA_CONTROLLER_PORT', DEFAULT_CONTROLLER_PORT),
    },
  };
}

const DEFAULT = instance();
const { dataDir: DATA_DIR, logFile: LOG_FILE, pidFile: PID_FILE } = DEFAULT;

/**
 * A SASL_SSL listener beside the PLAINTEXT one (which the probe, the controller link and the
 * inter-broker traffic keep using), for testing Herald against a secured cluster:
 * `{ port, keyStoreFile (PEM: PKCS#8 private key + certificate chain), trustStoreFile (PEM CA
 * certificates), clientAuth: 'required' | 'none', plainUsers: { name: password } }`. PLAIN,
 * SCRAM-SHA-256 and SCRAM-SHA-512 are enabled; SCRAM credentials are written into the metadata
 * log when the storage is formatted (`scramUsers` of ensureKafka).
 */
function secureListenerProperties(secure) {
  const plainUsers = Object.entries(secure.plainUsers || {})
    .map(([name, password]) => {
      // Kept to characters that need no escaping in a .properties file nor in JAAS.
      if (!/^[A-Za-z0-9._-]+$/.test(name) || !/^[A-Za-z0-9._~+/=-]+$/.test(password)) throw new u.InfraError(`PLAIN user ${name}: letters, digits and ._- in names, and no quotes, backslashes or spaces in passwords`);
      return ` user_${name}="${password}"`;
    })
    .join('');
  const l = 'listener.name.sasl_ssl';
  return {
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    [`${l}.plain.sasl.jaas.config`]: `org.apache.kafka.common.security.plain.PlainLoginModule required${plainUsers};`,
    [`${l}.scram-sha-256.sasl.jaas.config`]: 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    [`${l}.scram-sha-512.sasl.jaas.config`]: 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    [`${l}.ssl.keystore.type`]: 'PEM',
    [`${l}.ssl.keystore.location`]: secure.keyStoreFile,
    [`${l}.ssl.truststore.type`]: 'PEM',
    [`${l}.ssl.truststore.location`]: secure.trustStoreFile,
    [`${l}.ssl.client.auth`]: secure.clientAuth || 'none',
    'ssl.endpoint.identification.algorithm': 'https',
  };
}

/**
 * `overrides`: other settings, or other values, for one broker (e.g. a bench's A/B of a
 * setting); the shared broker has none.
 */
function serverProperties({ port, controllerPort }, dataDir = DATA_DIR, secure = undefined, overrides = {}) {
  const props = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${HOST}:${controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}${secure ? `,SASL_SSL://${HOST}:${secure.port}` : ''}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${port}${secure ? `,SASL_SSL://${HOST}:${secure.port}` : ''}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': `PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${secure ? ',SASL_SSL:SASL_SSL' : ''}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': '1',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'auto.create.topics.enable': 'false',
    'delete.topic.enable': 'true',
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.num.partitions': String(COORDINATOR_PARTITIONS),
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.num.partitions': String(COORDINATOR_PARTITIONS),
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    // A dev/test broker: keep a day of data, in small segments so retention can act.
    'log.retention.hours': '24',
    'log.segment.bytes': String(64 * 1024 * 1024),
    'log.retention.check.interval.ms': String(5 * 60 * 1000),
    'num.network.threads': '3',
    'num.io.threads': '4',
    'num.recovery.threads.per.data.dir': '1',
    // The active controller appends a no-op record to the metadata log every this long (default
    // 500 ms: two appends, raft fsyncs and metadata publications a second on an idle broker, about
    // a third of its idle CPU; issue 14). They only show the quorum alive to monitoring; every
    // real metadata change is written at once regardless.
    'metadata.max.idle.interval.ms': String(IDLE_METADATA_NOOP_MS),
    ...(secure ? secureListenerProperties(secure) : {}),
    ...overrides,
  };
  return (
    `# Written by tools/dev-infra/lib/kafka.js at every start; edits are overwritten.\n` +
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') +
    '\n'
  );
}

function parsePorts(propsText) {
  const m = /^listeners=PLAINTEXT:\/\/[^:]+:(\d+),CONTROLLER:\/\/[^:]+:(\d+)/m.exec(propsText || '');
  return m ? { port: Number(m[1]), controllerPort: Number(m[2]) } : undefined;
}

/** Kafka 4 needs Java 17+; Maven only to fetch the jars once. One line naming what to install. */
function checkTools({ needMaven }) {
  const missing = [];
  const java = u.commandWorks('java', ['-version']);
  let javaProblem;
  if (java.error && java.error.code === 'ENOENT') missing.push('openjdk-17-jre-headless');
  else {
    const m = /version "(\d+)(?:\.(\d+))?/.exec(`${java.stderr}${java.stdout}`);
    const major = m ? (Number(m[1]) === 1 ? Number(m[2]) : Number(m[1])) : 0;
    if (!java.ok || major < 17) {
      javaProblem = `Kafka ${KAFKA_VERSION} needs Java 17 or later, and \`java -version\` reports ${m ? m[0].replace('version ', '') : 'no version'}`;
      missing.push('openjdk-17-jre-headless');
    }
  }
  if (needMaven) {
    const mvn = u.commandWorks('mvn', ['-v']);
    if (mvn.error && mvn.error.code === 'ENOENT') missing.push('maven');
  }
  if (missing.length) {
    const what = missing.map((p) => (p === 'maven' ? 'Maven (mvn, to fetch the Kafka jars once)' : 'a Java 17+ runtime (java)')).join(' and ');
    throw new u.InfraError(
      `${javaProblem ? `${javaProblem}; ` : ''}the native Kafka broker needs ${what}, not found on PATH: install with \`apt-get install -y ${missing.join(' ')}\` (or set KAFKA_BROKERS to an existing broker)`,
    );
  }
}

function jarsCached() {
  try {
    return fs.readFileSync(LIBS_MARKER, 'utf8').trim() === KAFKA_VERSION;
  } catch {
    return false;
  }
}

/** mvn dependency:copy-dependencies into a temp dir, renamed into place when complete. */
function fetchJars(log) {
  const started = Date.now();
  log(`fetching Kafka ${KAFKA_VERSION} jars from Maven Central (about 45 MB, once)…`);
  const tmp = path.join(KAFKA_DIR, `libs.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  const r = spawnSync(
    'mvn',
    ['-q', '-B', '--no-transfer-progress', '-Dstyle.color=never', '-f', POM, `-Dkafka.version=${KAFKA_VERSION}`, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`, '-DincludeScope=runtime'],
    { cwd: u.ROOT, encoding: 'utf8', timeout: 15 * 60_000, env: { ...process.env, MAVEN_OPTS: process.env.MAVEN_OPTS || '-Xmx512m' } },
  );
  if (r.error || r.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const out = `${r.stdout || ''}\n${r.stderr || ''}`.replace(/\x1b\[[0-9;]*m/g, '').trim();
    const errors = out.split('\n').filter((l) => l.includes('[ERROR]')).slice(0, 3);
    throw new u.InfraError(`mvn could not fetch the Kafka jars (${r.error ? r.error.message : `exit code ${r.status}`}): ${(errors.length ? errors : out.split('\n').slice(-3)).join(' | ')}`);
  }
  fs.writeFileSync(path.join(tmp, path.basename(LIBS_MARKER)), `${KAFKA_VERSION}\n`);
  fs.rmSync(LIBS_DIR, { recursive: true, force: true });
  fs.renameSync(tmp, LIBS_DIR);
  const { files, bytes } = jarStats();
  log(`${files} jars, ${u.formatBytes(bytes)} cached in ${rel(LIBS_DIR)} (fetched in ${u.formatMs(Date.now() - started)})`);
}

function jarStats() {
  const jars = fs.readdirSync(LIBS_DIR).filter((f) => f.endsWith('.jar'));
  const bytes = jars.reduce((sum, f) => sum + fs.statSync(path.join(LIBS_DIR, f)).size, 0);
  return { files: jars.length, bytes };
}

/** A Kafka Uuid as the storage tool wants it: 16 random bytes, base64url, not starting with '-'. */
function randomClusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function java(args, opts = {}) {
  return spawnSync('java', ['-cp', `${LIBS_DIR}/*`, ...args], { encoding: 'utf8', timeout: 120_000, ...opts });
}

/** `--add-scram` arguments of the storage tool: SCRAM credentials in the metadata log from the start. */
function scramArgs(scramUsers = []) {
  return scramUsers.flatMap(({ mechanism, username, password }) => {
    if (!/^SCRAM-SHA-(256|512)$/.test(mechanism)) throw new u.InfraError(`unknown SCRAM mechanism ${mechanism}`);
    if (!/^[A-Za-z0-9._-]+$/.test(username) || !/^[A-Za-z0-9._~+/-]+$/.test(password)) throw new u.InfraError(`SCRAM user ${username}: use letters, digits, ".", "_", "-" in names, and no brackets, commas, "=", quotes or spaces in passwords`);
    return ['--add-scram', `${mechanism}=[name=${username},password=${password}]`];
  });
}

function formatStorage(log, inst, scramUsers = []) {
  const started = Date.now();
  const clusterId = randomClusterId();
  log(`formatting KRaft storage in ${rel(inst.dataDir)} (cluster id ${clusterId})…`);
  const r = java(['-Dlog4j2.configurationFile=' + LOG4J2, `-Dherald.kafka.log=${inst.logFile}`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', inst.propsFile, ...scramArgs(scramUsers)]);
  if (r.error || r.status !== 0) {
    throw new u.InfraError(`kafka storage format failed: ${(r.error?.message || `${r.stdout}\n${r.stderr}`).trim().split('\n').slice(-3).join(' | ')}`);
  }
  log(`storage formatted in ${u.formatMs(Date.now() - started)}`);
}

function isOurBroker(pid, inst) {
  const cmd = u.cmdlineOf(pid);
  return cmd.includes('kafka.Kafka') && cmd.includes(inst.propsFile);
}

/** { running, pid, port, controllerPort, answering } of the .herald broker (or of `instance(opts)`'s). */
async function status(opts) {
  const inst = opts ? instance(opts) : DEFAULT;
  let pid = u.readPid(inst.pidFile);
  if (!(pid && u.isAlive(pid) && isOurBroker(pid, inst))) {
    // pid file lost or stale: look for our broker by its command line.
    pid = u.findProcesses(['kafka.Kafka', inst.propsFile])[0];
  }
  let ports;
  try {
    ports = parsePorts(fs.readFileSync(inst.propsFile, 'utf8'));
  } catch {
    ports = undefined;
  }
  ports = ports || inst.ports;
  const running = Boolean(pid);
  const answering = running ? await u.portAnswers(ports.port, HOST) : false;
  return { running, pid, ...ports, answering, logFile: inst.logFile };
}

function tail(file, lines = 5) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

function loadKafkajs() {
  try {
    return require(require.resolve('kafkajs', { paths: [u.ROOT] }));
  } catch {
    return undefined;
  }
}

/** Java's String.hashCode, which Kafka uses to map group and transactional ids to partitions. */
function javaHash(text) {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs(hash) % partitions. */
function coordinatorPartition(id, partitions) {
  const h = javaHash(id);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

/** One id per coordinator partition 0..partitions-1: `<prefix>-<n>` with n chosen to land there. */
function idsCoveringPartitions(prefix, partitions) {
  const ids = new Array(partitions);
  let found = 0;
  for (let n = 0; found < partitions; n++) {
    const id = `${prefix}-${n}`;
    const p = coordinatorPartition(id, partitions);
    if (!ids[p]) {
      ids[p] = id;
      found += 1;
    }
  }
  return ids;
}

/**
 * Right after a broker starts, the first group and transaction calls fail with retriable
 * "coordinator is loading / not available" errors. Wait until every partition of
 * __consumer_offsets answers an offset fetch and every partition of __transaction_state
 * commits a transaction, so that the services and tests never see those errors.
 *
 * (No consumer group join here: kafkajs 2.2.4's consumer.disconnect() right after joining left
 * the member in the group and a socket open, which kept the process alive and made the next
 * join of the same group wait for the session timeout.)
 */
async function waitForCoordinators(brokers, { log, timeoutMs = 120_000, partitions = COORDINATOR_PARTITIONS } = {}) {
  const kafkajs = loadKafkajs();
  if (!kafkajs) {
    log.warn('kafkajs is not installed yet: only checked that the Kafka port answers');
    return;
  }
  const { Kafka, logLevel } = kafkajs;
  const started = Date.now();
  const deadline = started + timeoutMs;
  const groups = idsCoveringPartitions(PROBE_GROUP, partitions);
  const transactionalIds = idsCoveringPartitions('herald-infra-probe-tx', partitions);
  let attempt = 0;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  for (;;) {
    attempt += 1;
    const kafka = new Kafka({ clientId: 'herald-infra-probe', brokers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 } });
    const admin = kafka.admin();
    const producers = [];
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      if (!topics.includes(PROBE_TOPIC)) {
        await admin.createTopics({ topics: [{ topic: PROBE_TOPIC, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
      }
      // Group coordinator: FindCoordinator + OffsetFetch for a group on every partition.
      for (const groupId of groups) await admin.fetchOffsets({ groupId, topics: [PROBE_TOPIC] });
      // Transaction coordinator: one committed transaction on every partition.
      for (const transactionalId of transactionalIds) {
        const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
        producers.push(producer);
        await producer.connect();
        const tx = await producer.transaction();
        await tx.send({ topic: PROBE_TOPIC, messages: [{ key: transactionalId, value: new Date().toISOString() }] });
        await tx.commit();
        await producer.disconnect();
      }
      await admin.disconnect();
      return Date.now() - started;
    } catch (err) {
      await Promise.allSettled([...producers.map((p) => p.disconnect()), admin.disconnect()]);
      if (Date.now() > deadline) {
        throw new u.InfraError(`Kafka on ${brokers.join(',')} answers, but its group/transaction coordinators were not ready within ${u.formatMs(timeoutMs)}: ${err.message}`);
      }
      if (attempt === 1) log(`waiting for the Kafka group and transaction coordinators (${err.message})…`);
      await u.sleep(500);
    }
  }
}

/** What a -X / -XX flag sets (`-XX:+UseG1GC` → UseG1GC, `-XX:Foo=1` → Foo, `-Xmx1g` → -Xmx). */
function jvmFlagKey(flag) {
  const xx = /^-XX:[+-]?([A-Za-z0-9_]+)/.exec(flag);
  if (xx) return /^Use\w+GC$/.test(xx[1]) ? 'gc' : xx[1];
  const x = /^(-X(?:mx|ms|ss|mn))/.exec(flag);
  return x ? x[1] : flag;
}

/**
 * The broker's JVM flags (docker-compose.yml's KAFKA_HEAP_OPTS and KAFKA_JVM_PERFORMANCE_OPTS give
 * its broker the same). `extra` (a bench's A/B of a flag) adds flags or replaces the default that
 * sets the same thing (`-XX:+UseG1GC` replaces the serial collector).
 *
 * A dev/test broker is idle most of the time, and an idle JVM's own threads were most of what
 * it cost beyond Kafka's timers (issue 14; bench:broker-idle's per-thread CPU, 180 s settle):
 * C2 compiling for many minutes after a start (0.2-0.6 % of a core at minutes 3-12) and G1's
 * concurrent and parallel GC threads (0.1-0.3 % with the services connected). C1 only
 * (TieredStopAtLevel=1) and the serial collector take both away; the broker's CPU per message
 * under bench:relay's load was lower, not higher, with them (its code reaches C1's level at once).
 */
function jvmFlags(heap = HEAP, extra = []) {
  const defaults = [heap, '-Xms256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true'];
  const replaced = new Set(extra.map(jvmFlagKey));
  return [...defaults.filter((f) => !replaced.has(jvmFlagKey(f))), ...extra];
}

async function waitForPort(pid, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await u.portAnswers(port, HOST)) return true;
    if (pid && !u.isAlive(pid)) return false;
    await u.sleep(200);
  }
  return false;
}

/**
 * Starts the .herald broker, or reuses the running one. Returns { brokers, port, pid, reused }.
 * `stateDir` / `port` / `controllerPort` / `heap`: another broker of our own (see `instance`).
 * `secure` adds a SASL_SSL listener (see secureListenerProperties; its address is returned as
 * `secureBrokers`) and `scramUsers` ([{ mechanism: 'SCRAM-SHA-512', username, password }])
 * are created when the storage is formatted — so only for a fresh state directory.
 */
async function ensureKafka({ log = u.logger('infra'), stateDir, port, controllerPort, heap = HEAP, secure, scramUsers, jvmOpts = [], properties = {} } = {}) {
  const inst = instance({ stateDir, port, controllerPort });
  const { kafkaDir: KAFKA_DIR, dataDir: DATA_DIR, propsFile: PROPS_FILE, logFile: LOG_FILE, outFile: OUT_FILE, pidFile: PID_FILE } = inst;
  return u.withLock(
    'kafka',
    async () => {
      let st = await status(inst);
      if (st.running && !st.answering) {
        // Started a moment ago (or by someone else): give it time to open its port.
        await waitForPort(st.pid, st.port, 30_000);
        st = await status(inst);
      }
      if (st.running && st.answering) {
        const want = inst.ports.port;
        if (want !== st.port) log.warn(`Kafka is already running on port ${st.port}; port ${want} ignored (run infra:down first to change it)`);
        u.writeFileAtomic(PID_FILE, `${st.pid}\n`);
        const brokers = [`${HOST}:${st.port}`];
        await waitForCoordinators(brokers, { log });
        log(`Kafka ${KAFKA_VERSION} already running on ${brokers[0]} (pid ${st.pid})`);
        return { brokers, secureBrokers: secure ? [`${HOST}:${secure.port}`] : undefined, port: st.port, pid: st.pid, reused: true };
      }
      if (st.running) {
        log.warn(`Kafka pid ${st.pid} does not answer on port ${st.port}: stopping it`);
        await u.stopPid(st.pid, { signals: ['SIGTERM'], waitMs: 15_000 });
      }

      const ports = inst.ports;
      for (const [name, p] of [
        ['HERALD_KAFKA_PORT', ports.port],
        ['HERALD_KAFKA_CONTROLLER_PORT', ports.controllerPort],
      ]) {
        if (await u.portAnswers(p, HOST)) {
          throw new u.InfraError(`port ${p} is in use by another process (not the Kafka of .herald): free it, set ${name} to another port, or set KAFKA_BROKERS`);
        }
      }
      const cached = jarsCached();
      checkTools({ needMaven: !cached });
      u.ensureDir(KAFKA_DIR);
      u.ensureDir(path.dirname(LIBS_DIR));
      if (!cached) fetchJars(log);
      else {
        const { files, bytes } = jarStats();
        log(`Kafka ${KAFKA_VERSION}: ${files} jars, ${u.formatBytes(bytes)} cached in ${rel(LIBS_DIR)}`);
      }
      fs.writeFileSync(PROPS_FILE, serverProperties(ports, DATA_DIR, secure, properties));
      if (!fs.existsSync(path.join(DATA_DIR, 'meta.properties'))) formatStorage(log, inst, scramUsers);

      log(`starting Kafka ${KAFKA_VERSION} (KRaft, single node) on ${HOST}:${ports.port}, controller ${HOST}:${ports.controllerPort}, heap ${heap.slice(4)}…`);
      const started = Date.now();
      const out = fs.openSync(OUT_FILE, 'a');
      fs.writeSync(out, `\n=== ${new Date().toISOString()} starting kafka ${KAFKA_VERSION} (tools/dev-infra) ===\n`);
      const child = spawn(
        'java',
        [
          ...jvmFlags(heap, jvmOpts),
          `-Dlog4j2.configurationFile=${LOG4J2}`,
          `-Dherald.kafka.log=${LOG_FILE}`,
          '-cp',
          `${LIBS_DIR}/*`,
          'kafka.Kafka',
          PROPS_FILE,
        ],
        { cwd: KAFKA_DIR, detached: true, stdio: ['ignore', out, out] },
      );
      fs.closeSync(out);
      const spawnError = await new Promise((resolve) => {
        child.once('error', resolve);
        child.once('spawn', () => resolve(undefined));
      });
      if (spawnError) throw new u.InfraError(`could not start java: ${spawnError.message}`);
      child.unref();
      u.writeFileAtomic(PID_FILE, `${child.pid}\n`);
      if (!(await waitForPort(child.pid, ports.port, 90_000))) {
        const alive = u.isAlive(child.pid);
        if (alive) await u.stopPid(child.pid, { signals: ['SIGTERM'], waitMs: 5000 });
        fs.rmSync(PID_FILE, { force: true });
        throw new u.InfraError(
          `Kafka ${alive ? 'did not open' : 'exited before opening'} port ${ports.port}: ${tail(LOG_FILE, 3) || tail(OUT_FILE, 3)} (logs: ${rel(LOG_FILE)}, ${rel(OUT_FILE)})`,
        );
      }
      const portMs = Date.now() - started;
      const brokers = [`${HOST}:${ports.port}`];
      await waitForCoordinators(brokers, { log });
      const secureBrokers = secure ? [`${HOST}:${secure.port}`] : undefined;
      if (secure && !(await waitForPort(child.pid, secure.port, 30_000))) {
        throw new u.InfraError(`Kafka did not open its SASL_SSL port ${secure.port}: ${tail(LOG_FILE, 3)} (log: ${rel(LOG_FILE)})`);
      }
      log(`Kafka ${KAFKA_VERSION} listening on ${brokers[0]}${secure ? ` and SASL_SSL ${secureBrokers[0]}` : ''} (pid ${child.pid}, port open in ${u.formatMs(portMs)}, coordinators ready in ${u.formatMs(Date.now() - started)}, log ${rel(LOG_FILE)})`);
      return { brokers, secureBrokers, port: ports.port, pid: child.pid, reused: false };
    },
    { dir: inst.stateDir, onWait: (pid) => log(`waiting for another infra start (pid ${pid})…`) },
  );
}

/** Stops the .herald broker (or `instance({ stateDir })`'s) by its pid: SIGTERM, then SIGKILL. */
async function stopKafka({ log = u.logger('infra'), stateDir } = {}) {
  const inst = instance({ stateDir });
  return u.stopServer({ name: 'Kafka', stateDir: inst.stateDir, pidFile: inst.pidFile, status: await status(inst), signal: 'SIGTERM', log });
}

module.exports = { ensureKafka, jvmFlags, stopKafka, status, instance, waitForCoordinators, coordinatorPartition, idsCoveringPartitions, serverProperties, secureListenerProperties, scramArgs, parsePorts, randomClusterId, KAFKA_VERSION, DEFAULT_PORT, DEFAULT_CONTROLLER_PORT, LOG_FILE, PID_FILE };
