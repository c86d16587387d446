// Issue 16, "two commands from any folder": a checkout the `postgres` system user cannot
// traverse (root's home is mode 700, so is a `mktemp -d` folder) still starts. The repository is
// cloned (its work tree as it is now: tracked and untracked, not ignored, files) into a mode-700
// folder and `npm start` runs there: as root, PostgreSQL then runs from a copy of its binaries in
// a cache under the system's temporary directory, keyed by version, with its data beside it,
// said in one line — and the folder stays mode 700. As any other user it runs as that user, from
// the checkout. Either way the four services turn ready and the operator CLI writes a tenant.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  deleteKafkaNamespace,
  freePort,
  kafkaBrokers,
  uniqueKafkaNamespace,
  waitFor,
} from '@herald/platform/testing';

jest.setTimeout(420_000);

const ROOT = join(__dirname, '..', '..', '..');
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let folder: string;
let clone: string;
let env: Record<string, string>;
let start: ChildProcess | undefined;
let output = '';
const namespace = uniqueKafkaNamespace('unreadable');

/** The work tree as a clone would have it, plus local edits: tracked and untracked (not ignored) files. */
function cloneWorkTree(target: string): number {
  const files = execGit(['ls-files', '-z', '--cached', '--others', '--exclude-standard'])
    .split('\0')
    .filter(Boolean);
  let copied = 0;
  for (const file of files) {
    const from = join(ROOT, file);
    if (!existsSync(from)) continue; // deleted in the work tree
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(from, join(target, file));
    chmodSync(join(target, file), statSync(from).mode & 0o777);
    copied += 1;
  }
  return copied;
}

function execGit(args: string[]): string {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * node_modules: a real folder of links to this checkout's packages (installing takes minutes),
 * with the install marker of tools/dev-infra/lib/deps.js so that npm start does not reinstall.
 * Never one link to the whole folder: `npm ci` would empty it through the link.
 */
function linkDependencies(target: string): void {
  const from = join(ROOT, 'node_modules');
  const to = join(target, 'node_modules');
  mkdirSync(to);
  for (const entry of readdirSync(from)) {
    if (entry === '.herald-deps.json' || entry === '.package-lock.json') continue;
    symlinkSync(join(from, entry), join(to, entry));
  }
  const lockHash = createHash('sha256')
    .update(readFileSync(join(target, 'package-lock.json')))
    .digest('hex');
  writeFileSync(
    join(to, '.herald-deps.json'),
    `${JSON.stringify({ lockHash, at: new Date().toISOString() })}\n`,
  );
}

function runInClone(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, {
    cwd: clone,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'herald-700-'));
  chmodSync(folder, 0o700);
  clone = join(folder, 'herald');
  mkdirSync(clone);
  expect(cloneWorkTree(clone)).toBeGreaterThan(100);
  linkDependencies(clone);
  const ports = {
    pg: await freePort(),
    api: await freePort(),
    registry: await freePort(),
    router: await freePort(),
    dispatcher: await freePort(),
  };
  env = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/root',
    // Native PostgreSQL of the clone's own (the thing under test), the shared Kafka.
    HERALD_INFRA: 'native',
    HERALD_PG_PORT: String(ports.pg),
    KAFKA_BROKERS: kafkaBrokers().join(','),
    HERALD_KAFKA_NAMESPACE: namespace,
    DOMAIN_API_PORT: String(ports.api),
    REGISTRY_PORT: String(ports.registry),
    ROUTER_PORT: String(ports.router),
    DISPATCHER_PORT: String(ports.dispatcher),
    LOG_LEVEL: 'warn',
    NO_COLOR: '1',
  };
});

afterAll(async () => {
  if (start?.pid && start.exitCode === null) {
    try {
      process.kill(-start.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (clone) {
    // Stops the clone's PostgreSQL by its pid; then its data in the cache goes with the folder.
    const location = (() => {
      try {
        return JSON.parse(
          readFileSync(join(clone, '.herald', 'postgres-location.json'), 'utf8'),
        ) as { dataDir: string };
      } catch {
        return undefined;
      }
    })();
    runInClone(['tools/dev-infra/bin/infra.js', 'down']);
    if (location) rmSync(dirname(location.dataDir), { recursive: true, force: true });
  }
  if (folder) rmSync(folder, { recursive: true, force: true });
  await deleteKafkaNamespace(namespace).catch(() => undefined);
}, 120_000);

describe('npm start in a folder the postgres user cannot traverse', () => {
  it('starts PostgreSQL and the four services; as root from a readable cache, saying so in one line; the folder stays private', async () => {
    start = spawn('npm', ['start'], {
      cwd: clone,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (d: Buffer) => (output += d.toString());
    start.stdout!.on('data', collect);
    start.stderr!.on('data', collect);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      start!.on('exit', (code, signal) => resolve({ code, signal })),
    );
    // Until it is up, or has given up (then its output says why).
    await waitFor(() => /Herald is up in/.test(output) || start!.exitCode !== null, {
      timeoutMs: 300_000,
      intervalMs: 500,
      message: 'npm start says Herald is up',
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${output.slice(-4000)}`);
    });
    if (start.exitCode !== null)
      throw new Error(`npm start exited with ${start.exitCode}:\n${output.slice(-4000)}`);

    const relocation = output
      .split('\n')
      .filter((l) => /is not readable by the "\w+" user the server runs as/.test(l));
    const location = join(clone, '.herald', 'postgres-location.json');
    if (asRoot) {
      expect(relocation).toEqual([
        expect.stringMatching(
          new RegExp(
            `^\\[infra\\] PostgreSQL: ${clone.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not readable by the "\\w+" user the server runs as, so it runs from a copy of the binaries in ${tmpdir()}/herald-postgres/[^ ]+ and keeps its data in ${tmpdir()}/herald-postgres/data-[0-9a-f]{12} \\(not in \\.herald/\\)$`,
          ),
        ),
      ]);
      const { dataDir, binDir } = JSON.parse(readFileSync(location, 'utf8')) as {
        dataDir: string;
        binDir: string;
      };
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
      expect(binDir.startsWith(join(tmpdir(), 'herald-postgres'))).toBe(true);
      expect(existsSync(join(clone, '.herald', 'postgres', 'PG_VERSION'))).toBe(false);
    } else {
      expect(relocation).toEqual([]);
      expect(existsSync(location)).toBe(false);
      expect(existsSync(join(clone, '.herald', 'postgres', 'PG_VERSION'))).toBe(true);
    }
    // Not fixed by opening the folder up.
    expect(statSync(folder).mode & 0o777).toBe(0o700);

    for (const port of [
      env['DOMAIN_API_PORT'],
      env['REGISTRY_PORT'],
      env['ROUTER_PORT'],
      env['DISPATCHER_PORT'],
    ]) {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect({ port, status: res.status }).toEqual({ port, status: 200 });
    }
    // The second command works from there too: the CLI writes to that PostgreSQL.
    const cli = runInClone([
      'tools/dev-infra/bin/herald-cli.js',
      'tenant:create',
      '--slug',
      'private',
      '--domain',
      'private.example.test',
      '--admin-name',
      'Pat Private',
      '--admin-email',
      'pat@private.example.test',
    ]);
    expect({ status: cli.status, stderr: cli.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(cli.stdout.trim())).toMatchObject({
      tenantId: expect.any(String),
      apiKey: expect.stringMatching(/^hk_/),
    });

    // Ctrl-C: npm dies of the signal, start.js (same process group) stops the services.
    process.kill(-start.pid!, 'SIGINT');
    const { code, signal } = await exited;
    expect(code === 0 || signal === 'SIGINT').toBe(true);
    await waitFor(
      async () => {
        const answers = await Promise.all(
          [
            env['DOMAIN_API_PORT'],
            env['REGISTRY_PORT'],
            env['ROUTER_PORT'],
            env['DISPATCHER_PORT'],
          ].map((port) =>
            fetch(`http://127.0.0.1:${port}/health/live`).then(
              () => true,
              () => false,
            ),
          ),
        );
        return answers.every((a) => !a);
      },
      { timeoutMs: 60_000, message: 'the services stopped' },
    );
    const status = runInClone(['tools/dev-infra/bin/infra.js', 'status']);
    expect(status.stdout).toMatch(/postgres\s+running/);
    const down = runInClone(['tools/dev-infra/bin/infra.js', 'down']);
    expect(down.status).toBe(0);
    expect(runInClone(['tools/dev-infra/bin/infra.js', 'status']).stdout).toMatch(
      /postgres\s+stopped/,
    );
  });
});
