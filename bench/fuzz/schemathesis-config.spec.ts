import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fuzzEnv, type FuzzRows } from './api-stack';
import { schemathesisEnv } from './schemathesis';

/*
 * schemathesis refuses to load a config file with a `${NAME}` placeholder whose variable is not
 * set ("Missing environment variable", exit 2, no test case run): the short fuzz e2e in
 * `npm test` failed so when placeholders for the registry's dialect routes were added and only
 * `npm run fuzz:api` was given their variables. Both now pass `fuzzEnv(stack)`; this checks that
 * it and the rows set every placeholder of the file.
 */
describe('schemathesis.toml', () => {
  const toml = readFileSync(path.join(__dirname, 'schemathesis.toml'), 'utf8');
  // `$${` is schemathesis' literal `${`.
  const placeholders = [...new Set([...toml.matchAll(/(?<!\$)\$\{([^}]+)\}/g)].map((m) => m[1]))];

  it('has placeholders (the pins of rows, key, tenant and receiver)', () => {
    expect(placeholders).toEqual(expect.arrayContaining(['FUZZ_PROJECT_ID', 'FUZZ_RECEIVER_URL', 'FUZZ_API_KEY']));
  });

  it('gets every placeholder set by the rows and fuzzEnv, as each run passes them', () => {
    const rows: FuzzRows = {
      companyId: '1',
      projectId: 'p',
      taskId: 't',
      clientId: 'c',
      portfolioId: 'pf',
      programId: 'pg',
      ideaId: 'i',
      userId: 'u',
    };
    const env = schemathesisEnv({
      rows,
      env: fuzzEnv({ apiKey: 'hk_x', tenant: { slug: 'acme', domain: 'acme.example.test' }, receiverUrl: 'http://127.0.0.1:1' }),
    });
    expect(placeholders.filter((name) => !env[name])).toEqual([]);
  });
});
