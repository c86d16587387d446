'use strict';
// Compiles apps/ and libs/ to dist/ for the container image with @swc/core (a dependency
// already; no Nx or tsc needed in the image build), using the repo's .swcrc (decorator
// metadata, as the tests run). The tsconfig path aliases (`@herald/...`) are rewritten to
// relative requires at compile time by swc's `jsc.paths`, so the image runs plain
// `node dist/apps/<app>/src/main.js` with no runtime register. Files other than TypeScript
// (JSON, SQL, templates) are copied beside the compiled code; tests are left out.
// `npm start`, the test harness's spawnService and the benchmarks run the same build from a
// cache keyed by the inputs' content (tools/dev-infra/lib/build.js, `.herald/build/<hash>`).
// Usage: node deploy/docker/compile.js [outDir=dist]
const fs = require('node:fs');
const path = require('node:path');

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

/** The @swc/core version that compiles (part of a build's cache key). */
function swcVersion(root = ROOT) {
  try {
    return require(require.resolve('@swc/core/package.json', { paths: [root] })).version;
  } catch {
    return 'unknown';
  }
}

function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(full);
    return [full];
  });
}

/** The configuration files the output depends on besides the sources (relative to the root). */
const CONFIG_FILES = ['.swcrc', 'tsconfig.base.json'];

function swcOptions(root) {
  const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
  delete swcrc.$schema;
  const { compilerOptions } = JSON.parse(
    fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'),
  );
  return {
    ...swcrc,
    swcrc: false,
    sourceMaps: true,
    jsc: { ...swcrc.jsc, baseUrl: root, paths: compilerOptions.paths },
  };
}

/**
 * What compile() reads under `root`: TypeScript sources (tests left out) and the assets copied
 * beside them, absolute paths in a stable order.
 */
function inputFiles(root = ROOT) {
  const all = [...walk(path.join(root, 'apps')), ...walk(path.join(root, 'libs'))].sort();
  const sources = all.filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !TEST_FILE.test(f),
  );
  const assets = all.filter((f) => !f.endsWith('.ts') && !NOT_SHIPPED.has(path.basename(f)));
  return { sources, assets, config: CONFIG_FILES.map((f) => path.join(root, f)) };
}

/**
 * Compiles `root`'s apps/ and libs/ (default: this repository) into `outDir` (absolute, or
 * relative to the root). Returns what it wrote.
 */
async function compile(outDir = 'dist', { root = ROOT } = {}) {
  // Required here, not at load: inputFiles() is used where only the file list is wanted.
  const swc = require('@swc/core');
  const out = path.resolve(root, outDir);
  const options = swcOptions(root);
  const { sources, assets } = inputFiles(root);
  for (const file of sources) {
    const target = path.join(out, path.relative(root, file).replace(/\.ts$/, '.js'));
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
    const target = path.join(out, path.relative(root, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  }
  return { outDir: out, sources: sources.length, assets: assets.length };
}

module.exports = { compile, inputFiles, swcVersion };

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
