'use strict';
// Compiles apps/ and libs/ to dist/ for the container image with @swc/core (a dependency
// already; no Nx or tsc needed in the image build), using the repo's .swcrc (decorator
// metadata, as the tests run). The tsconfig path aliases (`@herald/...`) are rewritten to
// relative requires at compile time by swc's `jsc.paths`, so the image runs plain
// `node dist/apps/<app>/src/main.js` with no runtime register. Files other than TypeScript
// (JSON, SQL, templates) are copied beside the compiled code; tests are left out.
// Usage: node deploy/docker/compile.js [outDir=dist]
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const ROOT = path.resolve(__dirname, '..', '..');
const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.ts$/;
const NOT_SHIPPED = new Set([
  'project.json',
  'tsconfig.json',
  'tsconfig.lib.json',
  'tsconfig.app.json',
  'tsconfig.spec.json',
  'eslint.config.mjs',
  'jest.config.ts',
  'README.md',
]);

function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(full);
    return [full];
  });
}

function swcOptions() {
  const swcrc = JSON.parse(fs.readFileSync(path.join(ROOT, '.swcrc'), 'utf8'));
  delete swcrc.$schema;
  const { compilerOptions } = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'tsconfig.base.json'), 'utf8'),
  );
  return {
    ...swcrc,
    swcrc: false,
    sourceMaps: true,
    jsc: { ...swcrc.jsc, baseUrl: ROOT, paths: compilerOptions.paths },
  };
}

/** Compiles into `outDir` (absolute, or relative to the repo root). Returns what it wrote. */
async function compile(outDir = 'dist') {
  const out = path.resolve(ROOT, outDir);
  const options = swcOptions();
  const all = [...walk(path.join(ROOT, 'apps')), ...walk(path.join(ROOT, 'libs'))];
  const sources = all.filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !TEST_FILE.test(f),
  );
  const assets = all.filter((f) => !f.endsWith('.ts') && !NOT_SHIPPED.has(path.basename(f)));
  for (const file of sources) {
    const target = path.join(out, path.relative(ROOT, file).replace(/\.ts$/, '.js'));
    const { code, map } = await swc.transformFile(file, {
      ...options,
      filename: file,
      outputPath: target,
    });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(
      target,
      map ? `${code}\n//# sourceMappingURL=${path.basename(target)}.map\n` : code,
    );
    if (map) fs.writeFileSync(`${target}.map`, map);
  }
  for (const file of assets) {
    const target = path.join(out, path.relative(ROOT, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  }
  return { outDir: out, sources: sources.length, assets: assets.length };
}

module.exports = { compile };

if (require.main === module) {
  const started = Date.now();
  compile(process.argv[2] || 'dist').then(
    (r) =>
      console.log(
        `compiled ${r.sources} files (+${r.assets} assets) to ${path.relative(ROOT, r.outDir) || '.'} in ${Date.now() - started} ms`,
      ),
    (err) => {
      console.error(`compile failed: ${err.message}`);
      process.exit(1);
    },
  );
}
