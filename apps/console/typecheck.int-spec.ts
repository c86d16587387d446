import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

// The console is TSX for the browser (DOM lib, react-jsx): the workspace's `tsc --noEmit -p
// tsconfig.json` leaves it to its own tsconfig, checked here so `npm test` catches a type error.
describe('apps/console', () => {
  it('type-checks with its own tsconfig (tsc -p apps/console/tsconfig.json)', () => {
    const root = path.resolve(__dirname, '..', '..');
    let output = '';
    try {
      execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(__dirname, 'tsconfig.json')], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      output = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}` || String(e);
    }
    expect(output).toBe('');
  });
});
