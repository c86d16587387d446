/**
 * The real kustomize, for the tests that render the overlays. There is no kustomize on a fresh
 * machine of this project's kind, but Go is: `ensureKustomize()` builds the pinned release with
 * `go install` once (about 30 s with a cold module cache) and caches the binary under
 * `.herald/bin/` (gitignored); later calls reuse it. `HERALD_KUSTOMIZE=/path/to/kustomize`
 * uses another binary of the same major version instead.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const KUSTOMIZE_MODULE = 'sigs.k8s.io/kustomize/kustomize/v5';
export const KUSTOMIZE_VERSION = 'v5.7.1';

export const REPO_ROOT = resolve(__dirname, '..', '..');
const BIN_DIR = join(REPO_ROOT, '.herald', 'bin');
const CACHED_BIN = join(BIN_DIR, `kustomize-${KUSTOMIZE_VERSION}`);

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

function log(line: string): void {
  process.stderr.write(`[kustomize] ${line}\n`);
}

/** Path of a kustomize binary of the pinned version, installing it with `go install` when missing. */
export function ensureKustomize(): string {
  const override = process.env.HERALD_KUSTOMIZE;
  if (override) {
    if (!existsSync(override)) throw new Error(`HERALD_KUSTOMIZE=${override}: no such file`);
    return override;
  }
  if (existsSync(CACHED_BIN)) return CACHED_BIN;

  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new Error(
      `kustomize ${KUSTOMIZE_VERSION} is needed to render k8s/ and is built with Go: install Go (1.22+), ` +
        `or set HERALD_KUSTOMIZE to a kustomize v5 binary`,
    );
  }
  mkdirSync(BIN_DIR, { recursive: true });
  // One install at a time (test files run in parallel workers): the others wait for it.
  const release = acquireInstallLock();
  try {
    if (existsSync(CACHED_BIN)) return CACHED_BIN;
    return install(go.stdout.trim());
  } finally {
    release();
  }
}

const LOCK_DIR = join(BIN_DIR, '.kustomize-install.lock');
const LOCK_STALE_MS = 15 * 60_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function acquireInstallLock(): () => void {
  const deadline = Date.now() + LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      return () => rmSync(LOCK_DIR, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock left by a killed process: take it over once it is older than any install.
      const lock = statSync(LOCK_DIR, { throwIfNoEntry: false });
      if (!lock) continue; // released meanwhile: try again
      if (Date.now() - lock.mtimeMs > LOCK_STALE_MS)
        rmSync(LOCK_DIR, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK_DIR}`);
      else sleepSync(500);
    }
  }
}

function install(goVersion: string): string {
  // Install into a private folder, then rename: nobody ever sees a half-written binary.
  const staging = mkdtempSync(join(BIN_DIR, '.install-'));
  const started = Date.now();
  log(
    `installing ${KUSTOMIZE_MODULE}@${KUSTOMIZE_VERSION} with ${goVersion} (once; cached in .herald/bin)…`,
  );
  try {
    execFileSync('go', ['install', `${KUSTOMIZE_MODULE}@${KUSTOMIZE_VERSION}`], {
      cwd: tmpdir(),
      env: { ...process.env, GOBIN: staging, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10 * 60_000,
    });
    renameSync(join(staging, 'kustomize'), CACHED_BIN);
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr
      ?.toString()
      .trim()
      .split('\n')
      .slice(-5)
      .join('\n');
    throw new Error(
      `go install ${KUSTOMIZE_MODULE}@${KUSTOMIZE_VERSION} failed: ${stderr || (err as Error).message}`,
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log(
    `kustomize ${KUSTOMIZE_VERSION} ready at ${CACHED_BIN} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return CACHED_BIN;
}

/** `kustomize build <dir>` (relative to the repo root), parsed into objects. */
export function kustomizeBuild(dir: string, binary = ensureKustomize()): K8sObject[] {
  const out = execFileSync(binary, ['build', join(REPO_ROOT, dir)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseAllDocuments(out).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`kustomize build ${dir}: ${doc.errors[0].message}`);
    return doc.toJS() as K8sObject;
  });
}
