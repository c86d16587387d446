// Unit tests of the dev-infra helpers that need no process, port or file of their own.
import { SERVICE_MALLOC_ENV, SERVICE_NODE_FLAGS, buildServiceEnv, describeRun, listServices, nodeArgs, nodeFlags, resolvePorts, runArgs, urlTable } from './services';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { coordinatorPartition, idsCoveringPartitions, instance, jvmFlags, parsePorts, randomClusterId, scramArgs, serverProperties } from './kafka';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('services', () => {
  it('resolves the default ports, each overridable by its variable', () => {
    expect(resolvePorts({})).toEqual({ 'domain-api': 3000, 'subscription-registry': 3001, 'event-router': 3002, 'delivery-dispatcher': 3003 });
    expect(resolvePorts({ REGISTRY_PORT: '4001', DISPATCHER_PORT: '' })).toMatchObject({ 'subscription-registry': 4001, 'delivery-dispatcher': 3003 });
    expect(() => resolvePorts({ ROUTER_PORT: 'x' })).toThrow('ROUTER_PORT=x is not a TCP port');
  });

  it('builds a service env: infra, NODE_ENV, PORT, all service ports, secrets key, public base URLs; extra wins', () => {
    const base = { HERALD_SECRETS_KEY: KEY, DOMAIN_API_PORT: '3100', UNRELATED: 'kept', DROP_ME: 'x' };
    const env = buildServiceEnv({
      app: 'subscription-registry',
      infra: { databaseUrl: 'postgres://u:p@h:1/db', kafkaBrokers: 'h:9' },
      base,
      extra: { LOG_LEVEL: 'debug', DROP_ME: undefined },
    });
    expect(env).toMatchObject({
      DATABASE_URL: 'postgres://u:p@h:1/db',
      KAFKA_BROKERS: 'h:9',
      NODE_ENV: 'development',
      PORT: '3001',
      DOMAIN_API_PORT: '3100',
      REGISTRY_PORT: '3001',
      ROUTER_PORT: '3002',
      DISPATCHER_PORT: '3003',
      HERALD_SECRETS_KEY: KEY,
      HERALD_PUBLIC_BASE_URL: 'http://localhost:3001',
      UNRELATED: 'kept',
      LOG_LEVEL: 'debug',
    });
    expect(env).not.toHaveProperty('DROP_ME');
    const router = buildServiceEnv({ app: 'event-router', port: 4444, base, nodeEnv: 'test' });
    expect(router).toMatchObject({ PORT: '4444', ROUTER_PORT: '4444', NODE_ENV: 'test', HERALD_PUBLIC_BASE_URL: 'http://localhost:3100' });
    expect(buildServiceEnv({ app: 'domain-api', base: { ...base, HERALD_PUBLIC_BASE_URL: 'https://api.example' } }).HERALD_PUBLIC_BASE_URL).toBe('https://api.example');
  });

  it('gives every service the glibc malloc settings, unless the operator set them', () => {
    expect(SERVICE_MALLOC_ENV).toEqual({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' });
    const base = { HERALD_SECRETS_KEY: 'k' };
    expect(buildServiceEnv({ app: 'event-router', base })).toMatchObject(SERVICE_MALLOC_ENV);
    expect(buildServiceEnv({ app: 'event-router', base: { ...base, MALLOC_ARENA_MAX: '8' } })).toMatchObject({ MALLOC_ARENA_MAX: '8', MALLOC_MMAP_THRESHOLD_: '131072' });
    expect(buildServiceEnv({ app: 'event-router', base, extra: { MALLOC_MMAP_THRESHOLD_: undefined } }).MALLOC_MMAP_THRESHOLD_).toBeUndefined();
  });

  it('lists known services (HERALD_APPS narrows them) and runs TypeScript through @swc-node/register', () => {
    expect(listServices({ env: {}, all: true }).map((s) => [s.app, s.port, s.entry])).toEqual([
      ['domain-api', 3000, 'apps/domain-api/src/main.ts'],
      ['subscription-registry', 3001, 'apps/subscription-registry/src/main.ts'],
      ['event-router', 3002, 'apps/event-router/src/main.ts'],
      ['delivery-dispatcher', 3003, 'apps/delivery-dispatcher/src/main.ts'],
    ]);
    expect(listServices({ env: { HERALD_APPS: 'event-router' }, all: true }).map((s) => s.app)).toEqual(['event-router']);
    expect(() => listServices({ env: { HERALD_APPS: 'nope' } })).toThrow(/unknown app nope/);
    expect(nodeArgs('apps/x/src/main.ts', {})).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=100', '-r', '@swc-node/register', 'apps/x/src/main.ts']);
  });

  it('runs a service with a 4 MB semi-space, an old generation that grows to 2x its live set between major GCs (no heap cap) and without source maps unless HERALD_SOURCE_MAPS=1; migrate and the CLI always with them', () => {
    expect(SERVICE_NODE_FLAGS).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=100']);
    const build = '/repo/.herald/build/0123456789abcdef';
    expect(runArgs('apps/x/src/main.ts', build, {})).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=100', `${build}/apps/x/src/main.js`]);
    expect(runArgs('apps/x/src/main.ts', build, { HERALD_SOURCE_MAPS: '0' })).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=100', `${build}/apps/x/src/main.js`]);
    expect(runArgs('apps/x/src/main.ts', build, { HERALD_SOURCE_MAPS: '1' })).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=100', '--enable-source-maps', `${build}/apps/x/src/main.js`]);
    expect(nodeArgs('apps/x/src/main.ts', { HERALD_SOURCE_MAPS: '1' })).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=100', '--enable-source-maps', '-r', '@swc-node/register', 'apps/x/src/main.ts']);
    for (const entry of ['apps/x/src/migrate.ts', 'apps/x/src/cli.ts']) {
      expect(runArgs(entry, build, {})).toEqual(['--enable-source-maps', `${build}/${entry.replace(/\.ts$/, '.js')}`]);
      expect(nodeFlags(entry, { HERALD_SOURCE_MAPS: '0' })).toEqual(['--enable-source-maps']);
    }
    // A file that only ends in main.ts is not a service's main.
    expect(nodeFlags('apps/x/src/domain.ts', {})).toEqual(['--enable-source-maps']);
  });

  it('this node accepts every service flag (a flag it does not know stops it at start: "bad option", exit 9)', () => {
    const r = spawnSync(process.execPath, [...SERVICE_NODE_FLAGS, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(spawnSync(process.execPath, ['--heap-growing-percentage=100', '-e', 'process.exit(0)'], { encoding: 'utf8' }).status).toBe(9);
  });

  it('runs an entry compiled from a build folder, or from TypeScript without one (HERALD_SERVICES_FROM=source)', () => {
    expect(runArgs('apps/x/src/main.ts', '/repo/.herald/build/0123456789abcdef', {})).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=100', '/repo/.herald/build/0123456789abcdef/apps/x/src/main.js']);
    expect(runArgs('apps/x/src/migrate.ts', undefined)).toEqual(nodeArgs('apps/x/src/migrate.ts'));
    expect(describeRun('apps/x/src/main.ts', undefined)).toBe('node -r @swc-node/register apps/x/src/main.ts');
    expect(describeRun('apps/x/src/main.ts', `${__dirname}/../../../.herald/build/0123456789abcdef`)).toBe('node .herald/build/0123456789abcdef/apps/x/src/main.js');
  });

  it('prints a URL table with health and metrics of each service', () => {
    const lines = urlTable(listServices({ env: {}, all: true }).slice(2, 3), { databaseUrl: 'postgres://x', kafkaBrokers: 'k:1' });
    expect(lines.join('\n')).toContain('http://localhost:3002/health/ready');
    expect(lines.join('\n')).toContain('http://localhost:3002/metrics');
    expect(lines.join('\n')).toContain('postgres://x');
  });
});

describe('kafka', () => {
  it('writes a loopback single-node KRaft config and reads its ports back', () => {
    const props = serverProperties({ port: 19092, controllerPort: 19093 });
    for (const line of [
      'process.roles=broker,controller',
      'listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
      'controller.quorum.voters=1@127.0.0.1:19093',
      'auto.create.topics.enable=false',
      'num.partitions=1',
      'group.initial.rebalance.delay.ms=0',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.num.partitions=4',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'delete.topic.enable=true',
      'metadata.max.idle.interval.ms=10000',
    ]) {
      expect(props.split('\n')).toContain(line);
    }
    expect(parsePorts(props)).toEqual({ port: 19092, controllerPort: 19093 });
    expect(parsePorts('nothing')).toBeUndefined();
  });

  it("lets one broker (a bench's A/B) have other settings and JVM flags than the shared one's", () => {
    const props = serverProperties({ port: 29192, controllerPort: 29193 }, '/d', undefined, { 'metadata.max.idle.interval.ms': '5000', 'x.y': '1' }).split('\n');
    expect(props).toEqual(expect.arrayContaining(['metadata.max.idle.interval.ms=5000', 'x.y=1']));
    expect(props).not.toContain('metadata.max.idle.interval.ms=10000');
    // Another collector replaces the default one; a flag's other value replaces the default.
    const flags = jvmFlags('-Xmx768m', ['-XX:+UseG1GC', '-Xms768m', '-XX:TieredStopAtLevel=4', '-XX:CICompilerCount=2']);
    expect(flags).toEqual(expect.arrayContaining(['-Xmx768m', '-XX:+UseG1GC', '-Xms768m', '-XX:CICompilerCount=2', '-XX:+ExitOnOutOfMemoryError']));
    expect(flags.filter((f) => /GC$|^-Xms|TieredStopAtLevel/.test(f))).toEqual(['-XX:+UseG1GC', '-Xms768m', '-XX:TieredStopAtLevel=4']);
  });

  it("gives docker-compose.yml's broker the native one's JVM flags (issue 14: serial GC and C1 only, for idle CPU)", () => {
    const compose = parse(readFileSync(path.join(__dirname, '..', '..', '..', 'docker-compose.yml'), 'utf8')) as { services: { kafka: { environment: Record<string, string> } } };
    const env = compose.services.kafka.environment;
    const composeFlags = `${env['KAFKA_HEAP_OPTS'] ?? ''} ${env['KAFKA_JVM_PERFORMANCE_OPTS'] ?? ''}`.split(/\s+/).filter(Boolean);
    expect(composeFlags.sort()).toEqual(jvmFlags().sort());
    expect(jvmFlags()).toEqual(expect.arrayContaining(['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1']));
  });

  it("gives docker-compose.yml's broker the native one's settings (issue 14: its idle no-op metadata records every 10 s too)", () => {
    const native = Object.fromEntries(
      serverProperties({ port: 19092, controllerPort: 19093 })
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const compose = parse(readFileSync(path.join(__dirname, '..', '..', '..', 'docker-compose.yml'), 'utf8')) as { services: { kafka: { environment: Record<string, string | number> } } };
    const env = compose.services.kafka.environment;
    // The listeners differ by design (a container network and the host); the data lives in the volume.
    const apart = new Set(['listeners', 'advertised.listeners', 'listener.security.protocol.map', 'inter.broker.listener.name', 'controller.quorum.voters', 'log.dirs']);
    const kept = Object.keys(native).filter((k) => !apart.has(k) && `KAFKA_${k.toUpperCase().replace(/\./g, '_')}` in env);
    for (const k of kept) expect([k, String(env[`KAFKA_${k.toUpperCase().replace(/\./g, '_')}`])]).toEqual([k, native[k]]);
    expect(kept).toEqual(expect.arrayContaining(['metadata.max.idle.interval.ms', 'offsets.topic.num.partitions', 'group.initial.rebalance.delay.ms']));
  });

  it('keeps a second broker (own state dir and ports) apart from the shared one; the jars stay shared', () => {
    const shared = instance();
    expect(shared.dataDir).toBe(path.join(shared.stateDir, 'kafka', 'data'));
    expect(shared.pidFile).toBe(path.join(shared.stateDir, 'kafka.pid'));
    const own = instance({ stateDir: '/tmp/herald-chaos', port: 29092, controllerPort: 29093 });
    expect(own).toEqual({
      stateDir: '/tmp/herald-chaos',
      kafkaDir: '/tmp/herald-chaos/kafka',
      dataDir: '/tmp/herald-chaos/kafka/data',
      propsFile: '/tmp/herald-chaos/kafka/server.properties',
      logFile: '/tmp/herald-chaos/kafka/kafka.log',
      outFile: '/tmp/herald-chaos/kafka/kafka.out',
      pidFile: '/tmp/herald-chaos/kafka.pid',
      ports: { port: 29092, controllerPort: 29093 },
    });
    const props = serverProperties(own.ports, own.dataDir).split('\n');
    expect(props).toContain('log.dirs=/tmp/herald-chaos/kafka/data');
    expect(props).toContain('listeners=PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093');
  });

  it('adds a SASL_SSL listener with PEM stores, PLAIN users and SCRAM mechanisms when asked, and SCRAM users for the storage tool', () => {
    const secure = { port: 29094, keyStoreFile: '/s/server.pem', trustStoreFile: '/s/ca.crt', clientAuth: 'required' as const, plainUsers: { alice: 'pw1' } };
    const lines = serverProperties({ port: 29092, controllerPort: 29093 }, '/d', secure).split('\n');
    for (const line of [
      'listeners=PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093,SASL_SSL://127.0.0.1:29094',
      'advertised.listeners=PLAINTEXT://127.0.0.1:29092,SASL_SSL://127.0.0.1:29094',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
      'inter.broker.listener.name=PLAINTEXT',
      'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="pw1";',
      'listener.name.sasl_ssl.ssl.keystore.type=PEM',
      'listener.name.sasl_ssl.ssl.keystore.location=/s/server.pem',
      'listener.name.sasl_ssl.ssl.truststore.location=/s/ca.crt',
      'listener.name.sasl_ssl.ssl.client.auth=required',
    ])
      expect(lines).toContain(line);
    expect(parsePorts(lines.join('\n'))).toEqual({ port: 29092, controllerPort: 29093 });
    expect(serverProperties({ port: 1, controllerPort: 2 })).not.toContain('SASL');
    expect(scramArgs([{ mechanism: 'SCRAM-SHA-512', username: 'herald', password: 'a1b2' }])).toEqual(['--add-scram', 'SCRAM-SHA-512=[name=herald,password=a1b2]']);
    expect(() => scramArgs([{ mechanism: 'SCRAM-SHA-512', username: 'herald', password: 'a,b]' }])).toThrow(/SCRAM user herald/);
    expect(() => serverProperties({ port: 1, controllerPort: 2 }, '/d', { ...secure, plainUsers: { bob: 'has"quote' } })).toThrow(/PLAIN user bob/);
  });

  it('makes cluster ids the storage tool accepts (16 bytes, base64url, not starting with "-")', () => {
    for (let i = 0; i < 200; i++) {
      const id = randomClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });

  it('maps ids to coordinator partitions as Kafka does (Java String.hashCode) and covers them all', () => {
    expect(coordinatorPartition('test', 4)).toBe(3556498 % 4); // "test".hashCode() == 3556498
    expect(coordinatorPartition('polygenelubricants', 50)).toBe(0); // hashCode() == Integer.MIN_VALUE → abs 0
    const ids = idsCoveringPartitions('probe', 4);
    expect(ids.map((id) => coordinatorPartition(id, 4))).toEqual([0, 1, 2, 3]);
  });
});
