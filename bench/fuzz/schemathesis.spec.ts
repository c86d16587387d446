import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { astStateShared, venvPython } from './schemathesis';

/*
 * The registry's fuzz run at 04:37 had a FlakyFailure run error on POST /rest/v1.0/webhooks/hooks:
 * inside schemathesis' generator, compile() raised "SystemError: AST constructor recursion depth
 * mismatch" once and not on the replay — CPython 3.11.7 shares its AST state between threads
 * (gh-106905, fixed in 3.11.8 and 3.12.2) and schemathesis draws in two worker threads. The venv is
 * made with a Python without that bug when the machine has one, else the run uses one worker.
 */
describe('the Python schemathesis runs on', () => {
  it.each([
    [[3, 11, 2], true],
    [[3, 11, 7], true],
    [[3, 11, 8], false],
    [[3, 12, 1], true],
    [[3, 12, 2], false],
    [[3, 13, 0], false],
    [[3, 10, 13], false],
  ] as const)('Python %j shares its AST state between threads: %s', (version, shared) => {
    expect(astStateShared([...version] as [number, number, number])).toBe(shared);
  });

  it("reads a venv's Python version from its pyvenv.cfg (none without one)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-venv-'));
    try {
      expect(venvPython(dir)).toBeUndefined();
      writeFileSync(path.join(dir, 'pyvenv.cfg'), 'home = /root/.pyenv/versions/3.11.7/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n');
      expect(venvPython(dir)).toEqual([3, 11, 7]);
      writeFileSync(path.join(dir, 'pyvenv.cfg'), 'home = /usr/bin\nversion_info = 3.13.0.final.0\n');
      expect(venvPython(dir)).toEqual([3, 13, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
