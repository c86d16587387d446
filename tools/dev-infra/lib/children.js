'use strict';
// Running child processes with their output prefixed by a name, line by line.
const { spawn } = require('node:child_process');
const u = require('./util');

const COLORS = [36, 35, 33, 32, 34, 91, 96, 95];
let nextColor = 0;

function prefixer(name, width = name.length) {
  const color = process.stdout.isTTY && !process.env.NO_COLOR ? COLORS[nextColor++ % COLORS.length] : undefined;
  const label = name.padEnd(width);
  return color ? `\x1b[${color}m${label}\x1b[0m │ ` : `${label} │ `;
}

/** Copy `stream` to `out`, each line prefixed. */
function pipeLines(stream, prefix, out) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) out.write(`${prefix}${line}\n`);
  });
  stream.on('end', () => {
    if (pending) out.write(`${prefix}${pending}\n`);
    pending = '';
  });
}

/**
 * Spawn `node <args>` in the repo root with prefixed output. Returns the ChildProcess with an
 * `exited` promise ({ code, signal }).
 */
function spawnNode(name, args, { env, width, detached = false } = {}) {
  const child = spawn(process.execPath, args, { cwd: u.ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached });
  const prefix = prefixer(name, width);
  pipeLines(child.stdout, prefix, process.stdout);
  pipeLines(child.stderr, prefix, process.stderr);
  child.exited = new Promise((resolve) => {
    child.once('error', (err) => resolve({ code: null, signal: null, error: err }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return child;
}

module.exports = { spawnNode, pipeLines, prefixer };
