import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@herald/platform/testing';

const run = promisify(execFile);
export const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const SNIPPETS = path.join(ROOT, 'docs', 'receivers');
const CACHE = path.join(ROOT, '.herald', 'receivers');

export type Language = 'node' | 'python' | 'go';
export const LANGUAGES: readonly Language[] = ['node', 'python', 'go'];

/** A missing toolchain is one clear line, never a silent pass. */
export class MissingToolchainError extends Error {}

const hashOf = (...files: string[]) =>
  createHash('sha256')
    .update(files.map((f) => readFileSync(path.join(SNIPPETS, f))).join('\0'))
    .digest('hex')
    .slice(0, 16);

export async function requireTool(cmd: string, args: string[], hint: string): Promise<void> {
  try {
    await run(cmd, args, { timeout: 30_000 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new MissingToolchainError(`${cmd} not found: ${hint}`);
    throw e;
  }
}

/**
 * `.herald/receivers/python-<hash of requirements.txt>`: a venv with the snippet's requirements
 * from PyPI, made once (built aside, then renamed, so a half-made venv is never used).
 */
async function pythonVenv(): Promise<string> {
  const venv = path.join(CACHE, `python-${hashOf('python/requirements.txt')}`);
  const python = path.join(venv, 'bin', 'python');
  if (existsSync(python)) return python;
  await requireTool('python3', ['--version'], 'install Python 3.8+ with venv (Debian: apt-get install python3 python3-venv) to check the Python receiver');
  mkdirSync(CACHE, { recursive: true });
  const aside = `${venv}.tmp-${randomUUID().slice(0, 8)}`;
  try {
    await run('python3', ['-m', 'venv', aside], { timeout: 120_000 });
    await run(path.join(aside, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', path.join(SNIPPETS, 'python', 'requirements.txt')], { timeout: 300_000 });
    renameSync(aside, venv);
  } catch (e) {
    rmSync(aside, { recursive: true, force: true });
    if (existsSync(python)) return python; // another worker made it meanwhile
    throw e;
  }
  return python;
}

/** `.herald/receivers/go-<hash of the sources>`: the Go snippet built with the machine's `go` (modules through the Go proxy). */
async function goBinary(): Promise<string> {
  const bin = path.join(CACHE, `go-${hashOf('go/main.go', 'go/go.mod', 'go/go.sum')}`);
  if (existsSync(bin)) return bin;
  await requireTool('go', ['version'], 'install Go 1.21+ (https://go.dev/dl) to check the Go receiver');
  mkdirSync(CACHE, { recursive: true });
  const aside = `${bin}.tmp-${randomUUID().slice(0, 8)}`;
  await run('go', ['build', '-o', aside, '.'], { cwd: path.join(SNIPPETS, 'go'), timeout: 300_000, env: { ...process.env, GOFLAGS: `${process.env['GOFLAGS'] ?? ''} -buildvcs=false -mod=readonly`.trim() } });
  renameSync(aside, bin);
  return bin;
}

/** The command that runs one language's receiver, its toolchain made ready first. */
export async function commandFor(language: Language): Promise<[string, string[]]> {
  switch (language) {
    case 'node':
      return [process.execPath, [path.join(SNIPPETS, 'node', 'receiver.mjs')]];
    case 'python':
      return [await pythonVenv(), [path.join(SNIPPETS, 'python', 'receiver.py')]];
    case 'go':
      return [await goBinary(), []];
  }
}

export interface SnippetLine {
  event: 'listening' | 'processed' | 'duplicate' | 'rejected';
  id?: string;
  type?: string;
  reason?: string;
  port?: number;
}

/** One receiver snippet running as its own process; its JSON lines on stdout are what it did. */
export class RunningSnippet {
  readonly lines: SnippetLine[] = [];
  private stderr = '';

  private constructor(
    readonly language: Language,
    private readonly child: ChildProcess,
  ) {
    let pending = '';
    child.stdout?.on('data', (d: Buffer) => {
      pending += d.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const l of parts) if (l.trim()) this.lines.push(JSON.parse(l) as SnippetLine);
    });
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
  }

  static async start(language: Language, secret: string, port: number): Promise<RunningSnippet> {
    const [cmd, args] = await commandFor(language);
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port), PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const snippet = new RunningSnippet(language, child);
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`the ${language} receiver exited (${child.exitCode}): ${snippet.stderr}`);
      return snippet.lines.some((l) => l.event === 'listening' && l.port === port);
    }, { timeoutMs: 30_000, message: `the ${language} receiver listens on ${port}` });
    return snippet;
  }

  /** Resolves with the first line matching, waiting for it. */
  async line(match: (l: SnippetLine) => boolean, what: string): Promise<SnippetLine> {
    let found: SnippetLine | undefined;
    try {
      await waitFor(() => (found = this.lines.find(match)) !== undefined, { timeoutMs: 60_000, message: what });
    } catch {
      throw new Error(`${this.language} receiver: no ${what}; it printed ${JSON.stringify(this.lines)}${this.stderr ? `, stderr ${this.stderr}` : ''}`);
    }
    return found as SnippetLine;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}
