import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// Issue 16.4: the typed client cannot rot. Its types are generated from the two OpenAPI documents
// (built as the services build them, without infrastructure); a change to an API that is not
// regenerated fails here. The generator runs as its own process: openapi-typescript loads an
// ES module that jest's CommonJS runtime cannot require.
const ROOT = path.resolve(__dirname, '..', '..');

describe('libs/client generated types', () => {
  it('are what `npm run client:generate` makes from the current documents', () => {
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', 'tools/api-client/generate.ts', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect({ status: r.status, stderr: r.stderr.trim(), error: r.error?.message }).toEqual({ status: 0, stderr: '', error: undefined });
  }, 120_000);
});
