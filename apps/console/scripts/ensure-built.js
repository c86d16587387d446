'use strict';
// Builds the console (vite build → dist/apps/console) when a source is newer than the last
// build, or none exists. Used by `npm start` and the console's browser test; Node built-ins only.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const APP = path.join(ROOT, 'apps', 'console');
const OUT = path.join(ROOT, 'dist', 'apps', 'console', 'index.html');

function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((f) => newest(path.join(p, f))));
}

function ensureConsoleBuilt({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const sources = Math.max(...['src', 'index.html', 'vite.config.mts'].map((f) => newest(path.join(APP, f))));
  let built = 0;
  try {
    built = fs.statSync(OUT).mtimeMs;
  } catch {
    /* not built yet */
  }
  if (built >= sources) return false;
  log('console: building apps/console (vite build → dist/apps/console)…');
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', path.join(APP, 'vite.config.mts'), '--logLevel', 'warn'], {
    cwd: ROOT,
    // Vite follows NODE_ENV: under jest it is "test", which would bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return true;
}

module.exports = { ensureConsoleBuilt, CONSOLE_DIST: path.dirname(OUT) };

if (require.main === module) ensureConsoleBuilt();
