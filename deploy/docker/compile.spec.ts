/**
 * What the image runs, without Docker: `deploy/docker/compile.js` (the build stage's step)
 * compiles apps/ and libs/ into a dist/ folder; then every app's `main.js` (and each
 * `migrate.js`) loads its whole module graph from the compiled output with the path aliases
 * resolved, stopping only at the configuration check (exit 78, naming the missing variable);
 * and everything that graph requires from node_modules is a production dependency (the image
 * has no devDependencies).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { SERVICES } from '../services';

const ROOT = join(__dirname, '..', '..');
// Inside the repo (tmp/ is gitignored) so that compiled files resolve the repo's node_modules.
const OUT = join(ROOT, 'tmp', `image-dist-${process.pid}`);
const { compile } = require('./compile.js') as {
  compile: (out: string) => Promise<{ sources: number; assets: number }>;
};

const presentApps = SERVICES.filter((s) => existsSync(join(ROOT, 'apps', s, 'src', 'main.ts')));
const migratingApps = SERVICES.filter((s) =>
  existsSync(join(ROOT, 'apps', s, 'src', 'migrate.ts')),
);

/** Every file reachable by require() from `entry`, and the packages it requires from node_modules. */
function requireGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const code = readFileSync(file, 'utf8');
    for (const [, spec] of code.matchAll(/require\("([^"]+)"\)/g)) {
      if (spec.startsWith('.')) {
        const base = resolve(dirname(file), spec);
        const target = [base, `${base}.js`, join(base, 'index.js')].find(
          (p) => existsSync(p) && !p.endsWith('/') && /\.(js|json)$/.test(p),
        );
        if (!target)
          throw new Error(`${file}: require("${spec}") resolves to nothing in the compiled output`);
        if (target.endsWith('.js')) queue.push(target);
      } else {
        const name = spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : spec.split('/')[0];
        packages.add(name);
      }
    }
  }
  return { files, packages };
}

function runCompiled(file: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [file], {
    cwd: OUT,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr };
}

let compiled: { sources: number; assets: number };
beforeAll(async () => {
  compiled = await compile(OUT);
}, 60_000);
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('compiled image output (deploy/docker/compile.js)', () => {
  it('compiles every source file, rewriting every @herald/* alias to a relative require', () => {
    expect(compiled.sources).toBeGreaterThan(0);
    expect(presentApps.length).toBeGreaterThan(0);
    for (const app of presentApps) {
      const { files } = requireGraph(join(OUT, 'apps', app, 'src', 'main.js'));
      for (const f of files) expect(readFileSync(f, 'utf8')).not.toMatch(/require\("@herald\//);
    }
    console.log(
      `compiled ${compiled.sources} files (+${compiled.assets} assets); apps present: ${presentApps.join(', ')}`,
    );
  });

  it.each(presentApps)(
    '%s: requires only production dependencies and Node built-ins',
    (app) => {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
      const entries = [join(OUT, 'apps', app, 'src', 'main.js')];
      if (migratingApps.includes(app)) entries.push(join(OUT, 'apps', app, 'src', 'migrate.js'));
      const packages = new Set(entries.flatMap((e) => [...requireGraph(e).packages]));
      const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
      // The runtime stage installs with --omit=dev; an optional package may be missing on the
      // image's platform, so the services must not need one either.
      const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { optional?: boolean; dev?: boolean; devOptional?: boolean }>;
      };
      const omitted = (p: string) => {
        const entry = lock.packages[`node_modules/${p}`];
        return !entry || entry.optional || entry.dev || entry.devOptional;
      };
      const notShipped = [...packages].filter(
        (p) => !builtins.has(p) && (!(p in pkg.dependencies) || omitted(p)),
      );
      expect(notShipped).toEqual([]);
    },
  );

  it.each(presentApps)(
    '%s: main.js loads from the compiled output and stops at the config check (exit 78)',
    (app) => {
      const { status, stderr } = runCompiled(join(OUT, 'apps', app, 'src', 'main.js'));
      expect({ status, stderr: stderr.trim().split('\n')[0] }).toEqual({
        status: 78,
        stderr: expect.stringMatching(
          new RegExp(`^\\[${app}\\] invalid configuration: .*KAFKA_BROKERS is missing`),
        ),
      });
    },
  );

  it.each(migratingApps)(
    '%s: migrate.js loads from the compiled output and asks for DATABASE_URL',
    (app) => {
      const { status, stderr } = runCompiled(join(OUT, 'apps', app, 'src', 'migrate.js'));
      expect(status).not.toBe(0);
      expect(stderr).toMatch(/DATABASE_URL/);
      expect(stderr).not.toMatch(/Cannot find module/);
    },
  );
});
