import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { freePort } from './ports';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

// The services' list, ports and environment live in tools/dev-infra (plain Node.js that runs
// before node_modules exists; npm start uses it too), outside every Nx project: loaded by path.
type Services = typeof import('../../../../tools/dev-infra/lib/services');
type Build = typeof import('../../../../tools/dev-infra/lib/build');
const loadTool = createRequire(__filename);
const { buildServiceEnv, entryOf, nodeArgs, runArgs, waitForReady } = loadTool(path.join(ROOT, 'tools', 'dev-infra', 'lib', 'services.js')) as Services;
const { serviceBuildDir } = loadTool(path.join(ROOT, 'tools', 'dev-infra', 'lib', 'build.js')) as Build;
const MAX_OUTPUT = 4 * 1024 * 1024;

export interface SpawnServiceOptions {
  /** Port to listen on (PORT). Default: `env.PORT`, else a free port. */
  port?: number;
  /** How long to wait for GET /health/ready to answer 200 (default 120 000 ms). */
  readyTimeoutMs?: number;
  /** Default `/health/ready`. */
  readyPath?: string;
  /**
   * TypeScript entry point relative to the repo root, run through @swc-node/register (default:
   * `apps/<app>/src/main.ts`, run compiled like npm start and the image run it).
   */
  entry?: string;
  /** Also stream the output live to stderr (default: env HERALD_TEST_ECHO=1). */
  echo?: boolean;
  /** NODE_ENV (default `test`). */
  nodeEnv?: string;
  /**
   * Further node options (e.g. `--cpu-prof`, which NODE_OPTIONS refuses), after the launcher's
   * own (tools/dev-infra/lib/services.js runArgs: a flag given again here wins) and before the entry point.
   */
  execArgv?: string[];
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedService {
  app: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  pid: number;
  /** Everything it wrote to stdout and stderr so far (the last 4 MB). */
  output(): string;
  /** Print output() to stderr, with the service's name. */
  printOutput(): void;
  isRunning(): boolean;
  /** Resolves when the process has exited. */
  exited: Promise<ExitInfo>;
  /**
   * SIGTERM, then SIGKILL if it has not exited after 10 s. Resolves with how it exited; prints
   * its output when the exit was not clean (non-zero code, or it had to be killed).
   */
  stop(): Promise<ExitInfo>;
}

const running = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A jest worker that goes away must not leave services behind.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function tail(text: string, lines = 200): string {
  const all = text.split('\n');
  return all.length > lines ? `… (${all.length - lines} earlier lines)\n${all.slice(-lines).join('\n')}` : text;
}

/**
 * The node arguments that run an app's entry point (`main`, `cli`, `migrate`) as spawnService
 * does: the compiled file from the build (HERALD_SERVICES_FROM=source: the TypeScript).
 */
export async function serviceArgs(app: string, entry: 'main' | 'cli' | 'migrate' = 'main'): Promise<string[]> {
  return runArgs(`apps/${app}/src/${entry}.ts`, await serviceBuildDir());
}

/**
 * Starts `apps/<app>/src/main.ts` as its own process — its compiled `main.js` from the build
 * `npm start` uses (tools/dev-infra/lib/build.js: deploy/docker/compile.js, redone when the
 * sources changed; HERALD_SERVICES_FROM=source runs the TypeScript instead) — with
 * the environment `npm start` would give it (DATABASE_URL, KAFKA_BROKERS, HERALD_SECRETS_KEY,
 * …; see tools/dev-infra/lib/services.js) overridden by `env` (an undefined value removes a
 * variable), and waits until it answers GET /health/ready with 200. Its output is captured:
 * output(), printOutput(), and printed automatically if it fails to start or dies.
 */
export async function spawnService(app: string, env: Record<string, string | undefined> = {}, options: SpawnServiceOptions = {}): Promise<SpawnedService> {
  const port = options.port ?? (env['PORT'] ? Number(env['PORT']) : await freePort());
  const entry = options.entry ?? entryOf(app);
  const childEnv = buildServiceEnv({ app, port, base: process.env, extra: { ...env, PORT: String(port) }, nodeEnv: options.nodeEnv ?? 'test' });
  const echo = options.echo ?? process.env['HERALD_TEST_ECHO'] === '1';

  const chunks: string[] = [];
  let size = 0;
  const capture = (prefix: string) => (data: Buffer) => {
    const text = data.toString('utf8');
    chunks.push(text);
    size += text.length;
    while (size > MAX_OUTPUT && chunks.length > 1) size -= (chunks.shift() ?? '').length;
    if (echo) process.stderr.write(text.replace(/^(?=.)/gm, prefix));
  };
  const output = () => chunks.join('');
  const printOutput = () => {
    console.error(`--- output of ${app} (pid ${child.pid}) ---\n${tail(output())}\n--- end of ${app} output ---`);
  };

  // execArgv after the launcher's own flags (so that one of them given again there wins), before the entry.
  const launch = options.entry ? nodeArgs(entry, childEnv) : runArgs(entry, await serviceBuildDir(), childEnv);
  const args = [...launch.slice(0, -1), ...(options.execArgv ?? []), ...launch.slice(-1)];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  installExitHook();
  running.add(child);
  child.stdout.on('data', capture(`[${app}] `));
  child.stderr.on('data', capture(`[${app}] `));
  let stopping = false;
  let ready = false;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (err) => {
      chunks.push(`spawn error: ${err.message}\n`);
      running.delete(child);
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const isRunning = () => child.exitCode === null && child.signalCode === null && running.has(child);
  void exited.then(({ code, signal }) => {
    if (!stopping && ready) {
      console.error(`spawnService: ${app} exited unexpectedly (${signal ?? `code ${code}`})`);
      printOutput();
    }
  });

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForReady(app, url, { timeoutMs: options.readyTimeoutMs ?? 120_000, path: options.readyPath, isAlive: isRunning });
    ready = true;
  } catch (err) {
    stopping = true;
    if (isRunning()) child.kill('SIGKILL');
    await exited;
    throw new Error(`spawnService: ${err instanceof Error ? err.message : String(err)}\n--- output of ${app} ---\n${tail(output())}`);
  }

  const stop = async (): Promise<ExitInfo> => {
    stopping = true;
    let killed = false;
    if (isRunning()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    const info = await exited;
    if (killed || (info.code !== 0 && info.code !== null) || (info.signal !== null && info.signal !== 'SIGTERM')) {
      console.error(`spawnService: ${app} ${killed ? 'did not stop within 10 s after SIGTERM and was killed' : `exited uncleanly (${info.signal ?? `code ${info.code}`})`}`);
      printOutput();
    }
    return info;
  };

  return { app, url, port, pid: child.pid ?? 0, output, printOutput, isRunning, exited, stop };
}
