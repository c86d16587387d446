'use strict';
// `tsc --noEmit -p tsconfig.json` as a step of `npm test`: jest runs TypeScript through swc,
// which strips types without checking them, and lint is not type-aware, so without this step
// a type error never fails CI. tsc's own diagnostics are printed as they are; the step ends
// with ONE line: `types: tsc --noEmit -p tsconfig.json: N errors (T)`.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const u = require('./util');

/** The number of diagnostics in tsc's output (`file(1,2): error TS2322: …` or `error TS5083: …`). */
function countTscErrors(output) {
  return (output.match(/(^|\): )error TS\d+:/gm) || []).length;
}

/**
 * The one summary line, and whether the step passed: tsc must exit 0 AND report no error (a
 * crash, a signal or a missing compiler fails it too, saying so).
 */
function summarizeTypecheck({ code, signal, error, output = '', ms = 0, project = 'tsconfig.json' }) {
  const what = `tsc --noEmit -p ${project}`;
  const errors = countTscErrors(output);
  const took = u.formatMs(ms);
  if (error) return { ok: false, errors, line: `types: ${what} could not run: ${error.message}` };
  if (code === 0 && errors === 0) return { ok: true, errors, line: `types: ${what}: 0 errors (${took})` };
  const why = errors > 0 ? `${errors} error${errors === 1 ? '' : 's'}` : `exit ${signal || `code ${code}`}, no diagnostic printed`;
  return { ok: false, errors, line: `types: ${what}: ${why} (${took})` };
}

/** The TypeScript compiler of the checkout (node_modules/typescript/bin/tsc), run by this Node. */
function tscPath(root = u.ROOT) {
  return path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
}

/**
 * Run tsc on `project` (relative to `cwd`), copying its output to `out`. Resolves the summary
 * of summarizeTypecheck().
 */
function typecheck({ cwd = u.ROOT, project = 'tsconfig.json', out = process.stdout, tsc = tscPath() } = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    if (!fs.existsSync(tsc)) {
      resolve(summarizeTypecheck({ error: new Error(`${tsc} is missing (npm ci)`), project }));
      return;
    }
    const child = spawn(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', project], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk) => {
      output += chunk;
      out.write(chunk);
    };
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    child.once('error', (error) => resolve(summarizeTypecheck({ error, project })));
    child.once('close', (code, signal) => resolve(summarizeTypecheck({ code, signal, output, ms: Date.now() - started, project })));
  });
}

module.exports = { countTscErrors, summarizeTypecheck, typecheck, tscPath };
