// The compiled build that npm start, spawnService and the benchmarks run (tools/dev-infra/lib/
// build.js over deploy/docker/compile.js): reused while the sources are unchanged, rebuilt when
// one changes, never seen half-written by a second process building at the same time.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildKey, ensureBuild, listBuilds, pruneBuilds, servicesFrom } from './build';
import { runArgs } from './services';

const ROOT = join(__dirname, '..', '..', '..');
const BUILD_JS = join(__dirname, 'build.js');
const dirs: string[] = [];

/** A tiny workspace with the repo's compile settings: one app importing one lib by alias. */
function workspace(): string {
  // tmp/ is git-ignored: a clean clone has none until something makes it.
  mkdirSync(join(ROOT, 'tmp'), { recursive: true });
  const root = mkdtempSync(join(ROOT, 'tmp', 'build-'));
  dirs.push(root);
  cpSync(join(ROOT, '.swcrc'), join(root, '.swcrc'));
  writeFileSync(join(root, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: { paths: { '@herald/greeting': ['libs/greeting/src/index.ts'] } } }));
  mkdirSync(join(root, 'apps', 'hello', 'src'), { recursive: true });
  mkdirSync(join(root, 'libs', 'greeting', 'src'), { recursive: true });
  writeFileSync(join(root, 'apps', 'hello', 'src', 'main.ts'), "import { greeting } from '@herald/greeting';\nconst n: number = 1;\nconsole.log(greeting(n));\n");
  writeFileSync(join(root, 'apps', 'hello', 'src', 'main.spec.ts'), 'it("is not shipped", () => undefined);\n');
  writeFileSync(join(root, 'libs', 'greeting', 'src', 'index.ts'), 'export const greeting = (n: number): string => `hello ${n}`;\n');
  return root;
}

function runNode(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('compiled services build (tools/dev-infra/lib/build.js)', () => {
  it('compiles once, reuses the build while nothing changed, and rebuilds when a source changes', async () => {
    const root = workspace();
    const buildsDir = join(root, '.herald', 'build');
    const first = await ensureBuild({ root, buildsDir });
    expect(first.compiled).toBe(true);
    const main = join(first.dir, 'apps', 'hello', 'src', 'main.js');
    expect(await runNode(main)).toMatchObject({ code: 0, stdout: 'hello 1\n' });
    expect(existsSync(join(first.dir, 'apps', 'hello', 'src', 'main.spec.js'))).toBe(false);

    const again = await ensureBuild({ root, buildsDir });
    expect(again).toMatchObject({ dir: first.dir, compiled: false });

    writeFileSync(join(root, 'libs', 'greeting', 'src', 'index.ts'), 'export const greeting = (n: number): string => `hi ${n + 1}`;\n');
    const changed = await ensureBuild({ root, buildsDir });
    expect(changed.compiled).toBe(true);
    expect(changed.dir).not.toBe(first.dir);
    expect(await runNode(join(changed.dir, 'apps', 'hello', 'src', 'main.js'))).toMatchObject({ code: 0, stdout: 'hi 2\n' });
    // The older build stays (a service started from it keeps its files) until pruned.
    expect(existsSync(main)).toBe(true);

    // A config change (decorator or alias settings) is a new build too; a test file is not.
    writeFileSync(join(root, 'apps', 'hello', 'src', 'main.spec.ts'), 'it("changed", () => undefined);\n');
    expect(buildKey(root).key).toBe(changed.key);
    writeFileSync(join(root, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: { paths: { '@herald/greeting': ['libs/greeting/src/index.ts'], '@herald/x': ['x.ts'] } } }));
    expect(buildKey(root).key).not.toBe(changed.key);
  }, 60_000);

  it('two processes building at once: one compiles, the other waits and reuses it; both get a complete build', async () => {
    const root = workspace();
    const buildsDir = join(root, '.herald', 'build');
    const script = `require(${JSON.stringify(BUILD_JS)}).ensureBuild({ root: ${JSON.stringify(root)}, buildsDir: ${JSON.stringify(buildsDir)} }).then((r) => console.log(JSON.stringify(r)))`;
    const builders = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<{ dir: string; compiled: boolean }>((resolve, reject) => {
            const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
            let out = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString()));
            child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`builder exited ${code}`))));
          }),
      ),
    );
    expect(new Set(builders.map((b) => b.dir)).size).toBe(1);
    expect(builders.filter((b) => b.compiled)).toHaveLength(1);
    expect(readdirSync(buildsDir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(await runNode(join(builders[0].dir, 'apps', 'hello', 'src', 'main.js'))).toMatchObject({ code: 0, stdout: 'hello 1\n' });
  }, 60_000);

  it('keeps the newest builds and removes older ones and dead builders leftovers', async () => {
    const root = workspace();
    const buildsDir = join(root, '.herald', 'build');
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(root, 'libs', 'greeting', 'src', 'index.ts'), `export const greeting = (n: number): string => 'v${i} ' + n;\n`);
      made.push((await ensureBuild({ root, buildsDir })).dir);
      await new Promise((r) => setTimeout(r, 20));
    }
    mkdirSync(join(buildsDir, '.tmp-0123456789abcdef-999999999'));
    pruneBuilds(buildsDir, 2);
    expect(listBuilds(buildsDir).map((b) => b.dir)).toEqual([made[2], made[1]]);
    expect(readdirSync(buildsDir).sort()).toEqual([made[1], made[2]].map((d) => d.slice(buildsDir.length + 1)).sort());
  }, 60_000);

  it('the repository builds every service entry point, and runArgs runs the compiled file', async () => {
    const r = await ensureBuild();
    for (const app of ['domain-api', 'subscription-registry', 'event-router', 'delivery-dispatcher']) {
      const args = runArgs(`apps/${app}/src/main.ts`, r.dir, {});
      const file = args[args.length - 1];
      expect(args.slice(0, 2)).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=100']);
      expect(file).toBe(join(r.dir, 'apps', app, 'src', 'main.js'));
      expect(readFileSync(file, 'utf8')).not.toMatch(/require\("@herald\//);
    }
    expect(servicesFrom({})).toBe('build');
    expect(servicesFrom({ HERALD_SERVICES_FROM: 'source' })).toBe('source');
    expect(() => servicesFrom({ HERALD_SERVICES_FROM: 'ts' })).toThrow(/HERALD_SERVICES_FROM=ts/);
  }, 60_000);
});
