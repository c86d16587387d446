import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

/*
 * Schemathesis (PyPI) in a venv of its own under .herald/, made on first use, and one run of it
 * against an OpenAPI document, read back from its NDJSON event stream into counts.
 */

const ROOT = path.resolve(__dirname, '..', '..');
/** Pinned: a new release may add checks or change what a warning means. */
export const SCHEMATHESIS_VERSION = '4.32.5';
export const VENV = path.join(ROOT, '.herald', 'fuzz-venv');
const BIN = path.join(VENV, 'bin', 'schemathesis');
const CONFIG = path.join(__dirname, 'schemathesis.toml');
const run = promisify(execFile);

export class FuzzSetupError extends Error {}

/** A CPython version as `sys.version_info[:3]`. */
type PyVersion = [number, number, number];

/**
 * CPython versions whose AST state is shared by every thread of the interpreter (gh-106905, fixed
 * in 3.11.8 and 3.12.2): when two threads build an AST at once, compile() fails now and then with
 * "SystemError: AST constructor recursion depth mismatch". Hypothesis compiles a module's source
 * to describe a lambda while it draws, and schemathesis draws in `--workers` threads, so on such a
 * version a draw fails once and succeeds when replayed: the FlakyFailure run error of the
 * registry's run at 04:37 (Python 3.11.7, POST /rest/v1.0/webhooks/hooks) — not an answer of the API.
 */
export function astStateShared([major, minor, micro]: PyVersion): boolean {
  return major === 3 && ((minor === 11 && micro < 8) || (minor === 12 && micro < 2));
}

const parseVersion = (text: string): PyVersion | undefined => {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
};

/** The interpreter's version when it can make a venv (venv and ensurepip importable), else undefined. */
function probe(python: string): PyVersion | undefined {
  const r = spawnSync(python, ['-c', 'import sys, venv, ensurepip; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return parseVersion(r.stdout ?? '');
}

/**
 * The Python the venv is made with: $PYTHON when set; else the first of python3.14 … python3.12,
 * pyenv's installed versions (newest first) and python3 that can make a venv and does not share
 * its AST state between threads; else python3 as it is (runSchemathesis then runs one worker).
 */
export function choosePython(): { python: string; version: PyVersion } | { python: string; error: string } {
  const fixed = process.env['PYTHON'];
  const pyenvRoot = process.env['PYENV_ROOT'] ?? path.join(homedir(), '.pyenv');
  const pyenvVersions = existsSync(path.join(pyenvRoot, 'versions'))
    ? readdirSync(path.join(pyenvRoot, 'versions'))
        .flatMap((name) => {
          const version = /^3\.\d+\.\d+$/.test(name) ? parseVersion(name) : undefined;
          return version ? [{ name, version }] : [];
        })
        .sort(({ version: x }, { version: y }) => y[0] - x[0] || y[1] - x[1] || y[2] - x[2])
        .map(({ name }) => path.join(pyenvRoot, 'versions', name, 'bin', 'python3'))
    : [];
  const candidates = fixed ? [fixed] : ['python3.14', 'python3.13', 'python3.12', ...pyenvVersions, 'python3'];
  let fallback: { python: string; version: PyVersion } | undefined;
  for (const python of candidates) {
    const version = probe(python);
    if (!version || version[0] !== 3 || version[1] < 10) continue;
    if (!astStateShared(version)) return { python, version };
    fallback ??= { python, version };
  }
  if (fallback) return fallback;
  const python = fixed ?? 'python3';
  const r = spawnSync(python, ['-c', 'import venv, ensurepip'], { encoding: 'utf8' });
  return { python, error: r.error ? r.error.message : ((r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}`) };
}

/** The venv's Python version (from its pyvenv.cfg), or undefined when there is no venv. */
export function venvPython(venv = VENV): PyVersion | undefined {
  const cfg = path.join(venv, 'pyvenv.cfg');
  if (!existsSync(cfg)) return undefined;
  const line = readFileSync(cfg, 'utf8')
    .split('\n')
    .find((l) => /^version(_info)?\s*=/.test(l));
  return line ? parseVersion(line) : undefined;
}

/**
 * Creates the venv and installs schemathesis into it when it is not there, another version is,
 * or it was made with a Python that shares its AST state between threads while a better one is here.
 */
export async function ensureSchemathesis(log: (line: string) => void = () => undefined): Promise<string> {
  const chosen = choosePython();
  if ('error' in chosen) {
    throw new FuzzSetupError(`fuzz:api needs ${chosen.python} with its venv module (apt-get install -y python3 python3-venv): ${chosen.error}`);
  }
  const current = venvPython();
  if (existsSync(BIN) && current && !(astStateShared(current) && !astStateShared(chosen.version))) {
    const version = spawnSync(BIN, ['--version'], { encoding: 'utf8' }).stdout ?? '';
    if (version.includes(SCHEMATHESIS_VERSION)) return BIN;
  }
  log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${path.relative(ROOT, VENV)} with ${chosen.python} (Python ${chosen.version.join('.')})…`);
  if (astStateShared(chosen.version)) {
    log(`Python ${chosen.version.join('.')} shares its AST state between threads (CPython gh-106905): schemathesis will run one worker`);
  }
  rmSync(VENV, { recursive: true, force: true });
  mkdirSync(path.dirname(VENV), { recursive: true });
  await run(chosen.python, ['-m', 'venv', VENV]);
  await run(path.join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return BIN;
}

export interface FuzzOptions {
  /** The API's base URL (the document's own server is not where the stack listens). */
  baseUrl: string;
  /** Where the OpenAPI document is (default `<baseUrl>/openapi.json`). */
  schemaUrl?: string;
  apiKey: string;
  /** Rows the generated bodies may name (see schemathesis.toml's [parameters]). */
  rows: Record<'projectId' | 'taskId' | 'clientId' | 'portfolioId' | 'programId' | 'ideaId' | 'userId', string>;
  /** More variables schemathesis.toml reads (the tenant's slug and domain, the receiver's URL…). */
  env?: Record<string, string>;
  /** Rewrites the fetched document before the run (e.g. examples naming real rows); default: as served. */
  prepareDocument?: (document: Record<string, unknown>) => Record<string, unknown>;
  /** Cases per operation and phase (schemathesis' --max-examples). */
  maxExamples: number;
  /** Time budget of the whole run. */
  maxTimeSeconds?: number;
  seed?: number;
  workers?: number;
  /** Address-space cap of the schemathesis process (default 6 GB). */
  maxMemoryMb?: number;
  /** Where the NDJSON events go (a file per run). */
  reportPath: string;
  /** Each line of schemathesis' own output (it is also kept in `output`). */
  onLine?: (line: string) => void;
}

export interface FuzzFailure {
  operation: string;
  title: string;
  code?: string;
}

export interface FuzzResult {
  exitCode: number | null;
  /** Test cases run (every phase). */
  cases: number;
  /** Operations the document declares and the run tested. */
  operations: number;
  failures: FuzzFailure[];
  /** Errors of the run itself (e.g. a case it could not generate twice alike). */
  errors: FuzzFailure[];
  /** Responses with a 5xx status. */
  serverErrors: number;
  /** Warnings schemathesis printed in its summary (e.g. "Schema validation mismatch: 2 operations …"). */
  warnings: string[];
  phases: string[];
  output: string;
  durationMs: number;
}

/**
 * One `schemathesis run`: coverage, fuzzing and stateful phases (the API documents no examples;
 * the ones prepareDocument adds are test data for the others), positive and
 * negative data, every check the config file enables, the key sent as a bearer token.
 */
export async function runSchemathesis(bin: string, o: FuzzOptions): Promise<FuzzResult> {
  rmSync(o.reportPath, { force: true });
  mkdirSync(path.dirname(o.reportPath), { recursive: true });
  let location = o.schemaUrl ?? `${o.baseUrl}/openapi.json`;
  if (o.prepareDocument) {
    const served = (await (await fetch(location)).json()) as Record<string, unknown>;
    location = o.reportPath.replace(/\.ndjson$/, '') + '.openapi.json';
    writeFileSync(location, JSON.stringify(o.prepareDocument(served)));
  }
  const args = [
    '--config-file',
    CONFIG,
    '--no-color',
    'run',
    location,
    '--url',
    o.baseUrl,
    '-H',
    `Authorization: Bearer ${o.apiKey}`,
    '--phases',
    'coverage,fuzzing,stateful',
    '--mode',
    'all',
    '--max-examples',
    String(o.maxExamples),
    '--workers',
    // One thread where the venv's Python shares its AST state between threads (see astStateShared).
    String(astStateShared(venvPython(path.dirname(path.dirname(bin))) ?? [3, 13, 0]) ? 1 : (o.workers ?? 2)),
    '--report',
    'ndjson',
    '--report-ndjson-path',
    o.reportPath,
    '--generation-database',
    'none',
    '--output-sanitize',
    'true',
    ...(o.seed !== undefined ? ['--seed', String(o.seed)] : []),
    ...(o.maxTimeSeconds ? ['--max-time', String(o.maxTimeSeconds)] : []),
  ];
  const started = Date.now();
  const chunks: string[] = [];
  const exitCode = await new Promise<number | null>((resolve) => {
    // A cap on its address space: a schema that makes the generator explode must fail this run,
    // not take the shared machine's memory.
    const capKb = Math.round((o.maxMemoryMb ?? 6_144) * 1024);
    const child = spawn('/bin/sh', ['-c', `ulimit -v ${capKb} && exec "$0" "$@"`, bin, ...args], {
      env: {
        ...process.env,
        NO_COLOR: '1',
        PYTHONUNBUFFERED: '1',
        ...schemathesisEnv(o),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    const onData = (data: Buffer) => {
      const text = data.toString('utf8');
      chunks.push(text);
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) o.onLine?.(l);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (err) => {
      chunks.push(`spawn error: ${err.message}\n`);
      resolve(null);
    });
    child.once('exit', (code) => {
      if (pending) o.onLine?.(pending);
      resolve(code);
    });
  });
  const output = chunks.join('');
  return { exitCode, ...readReport(o.reportPath), warnings: warningsOf(output), output, durationMs: Date.now() - started };
}

/**
 * The variables of schemathesis.toml's placeholders: FUZZ_PROJECT_ID, FUZZ_TASK_ID, …, one per row
 * the [parameters] name, and `env` (see `fuzzEnv` in api-stack.ts).
 */
export function schemathesisEnv(o: Pick<FuzzOptions, 'rows' | 'env'>): Record<string, string> {
  return {
    ...Object.fromEntries(Object.entries(o.rows).map(([k, v]) => [`FUZZ_${k.replace(/Id$/, '').toUpperCase()}_ID`, v])),
    ...o.env,
  };
}

type Json = Record<string, unknown>;

/** Counts from schemathesis' NDJSON events (cases, operations, failures, 5xx, warnings). */
export function readReport(file: string): Omit<FuzzResult, 'exitCode' | 'output' | 'durationMs' | 'warnings'> {
  const result: Omit<FuzzResult, 'exitCode' | 'output' | 'durationMs' | 'warnings'> = {
    cases: 0,
    operations: 0,
    failures: [],
    errors: [],
    serverErrors: 0,
    phases: [],
  };
  if (!existsSync(file)) return result;
  const operations = new Set<string>();
  const phases = new Set<string>();
  const failureKeys = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let event: Json;
    try {
      event = JSON.parse(line) as Json;
    } catch {
      continue;
    }
    const [kind, body] = Object.entries(event)[0] ?? [];
    if (!kind || typeof body !== 'object' || body === null) continue;
    const b = body as Json;
    if (kind === 'PhaseStarted') {
      const phase = (b['phase'] as Json | undefined)?.['name'];
      if (typeof phase === 'string') phases.add(phase);
    }
    if (kind === 'ScenarioFinished') {
      const recorder = b['recorder'] as Json | undefined;
      const label = typeof recorder?.['label'] === 'string' ? recorder['label'] : undefined;
      if (label && b['phase'] !== 'stateful') operations.add(label);
      const cases = (recorder?.['cases'] ?? {}) as Record<string, unknown>;
      result.cases += Object.keys(cases).length;
      const interactions = (recorder?.['interactions'] ?? {}) as Record<string, Json>;
      for (const i of Object.values(interactions)) {
        const status = (i['response'] as Json | undefined)?.['status_code'];
        if (typeof status === 'number' && status >= 500) result.serverErrors += 1;
      }
      const checks = (recorder?.['checks'] ?? {}) as Record<string, Json[]>;
      for (const list of Object.values(checks)) {
        for (const c of list) {
          if (c['status'] !== 'failure') continue;
          const inner = ((c['failure_info'] as Json | undefined)?.['failure'] as Json | undefined) ?? {};
          const title = String(inner['title'] ?? c['name'] ?? 'failure');
          const operation = String(inner['operation'] ?? label ?? '?');
          const key = `${operation}|${title}`;
          if (failureKeys.has(key)) continue;
          failureKeys.add(key);
          result.failures.push({ operation, title, code: typeof inner['code'] === 'string' ? inner['code'] : undefined });
        }
      }
    }
    if (kind === 'NonFatalError') {
      const value = (b['value'] ?? {}) as Json;
      result.errors.push({ operation: String(b['label'] ?? '?'), title: `${String(value['type'] ?? 'error')}: ${String(value['message'] ?? '')}` });
    }
  }
  result.operations = operations.size;
  result.phases = [...phases];
  return result;
}

/**
 * The summary's warnings (the NDJSON stream does not carry them): the lines under "Warnings:"
 * at the end of schemathesis' output, e.g. "⚠️ Schema validation mismatch: 2 operations …".
 */
export function warningsOf(output: string): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'Warnings:');
  if (start === -1) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.trim()) break;
    out.push(l.replace(/^\s*\S*\s*/u, '').trim());
  }
  return out;
}
