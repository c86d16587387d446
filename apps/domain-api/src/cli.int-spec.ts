import { spawn } from 'node:child_process';
import path from 'node:path';
import { hashApiKey, parseApiKey, principalKey } from '@herald/contracts';
import { createTestDatabase, deleteKafkaNamespace, uniqueKafkaNamespace } from '@herald/platform/testing';
import { readPrincipals } from './topic-reader';

// Real Postgres and Kafka (and, for the CLI, processes): jest's 5 s default is for unit tests.
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
let db: { url: string; drop(): Promise<void> };
let ns: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a process, the way `npm run -s herald -- <cmd>` runs it. */
function herald(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/domain-api/src/cli.ts', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'],
        DATABASE_URL: db.url,
        KAFKA_BROKERS: process.env['KAFKA_BROKERS'],
        HERALD_KAFKA_NAMESPACE: ns,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function oneJsonLine(run: Run): Record<string, string> {
  expect(run.code).toBe(0);
  const lines = run.stdout.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]) as Record<string, string>;
}

function oneErrorLine(run: Run): string {
  expect(run.code).not.toBe(0);
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  return lines[0];
}

beforeAll(async () => {
  db = await createTestDatabase('domain-api-cli');
  ns = uniqueKafkaNamespace('domain-api-cli');
});

afterAll(async () => {
  await db?.drop();
  if (ns) await deleteKafkaNamespace(ns);
});

describe('herald CLI', () => {
  let tenant: Record<string, string>;

  it('tenant:create migrates, creates tenant + admin + key and prints one JSON line', async () => {
    tenant = oneJsonLine(
      await herald('tenant:create', '--slug', 'acme', '--domain', 'acme.projectbubble.com', '--admin-name', 'Anna Doe', '--admin-email', 'anna.doe@company.com'),
    );
    expect(Object.keys(tenant).sort()).toEqual(['apiKey', 'tenantId', 'userId']);
    expect(parseApiKey(tenant['apiKey'])).not.toBeNull();
  });

  it('refuses a duplicate slug or domain with a non-zero exit and one clear line', async () => {
    expect(
      oneErrorLine(await herald('tenant:create', '--slug', 'acme', '--domain', 'other.projectbubble.com', '--admin-name', 'X', '--admin-email', 'x@example.com')),
    ).toMatch(/slug "acme" already exists/);
    expect(
      oneErrorLine(await herald('tenant:create', '--slug', 'acme2', '--domain', 'ACME.projectbubble.com', '--admin-name', 'X', '--admin-email', 'x@example.com')),
    ).toMatch(/domain "acme.projectbubble.com" already exists/);
  });

  it('refuses bad input with one line naming the problem', async () => {
    expect(oneErrorLine(await herald('tenant:create', '--slug', 'acme3'))).toMatch(/missing --domain, --admin-name, --admin-email/);
    expect(
      oneErrorLine(await herald('tenant:create', '--slug', 'Bad Slug', '--domain', 'x.test', '--admin-name', 'X', '--admin-email', 'not-an-email')),
    ).toMatch(/slug: .*adminEmail: /);
    expect(oneErrorLine(await herald('tenant:delete'))).toMatch(/unknown command "tenant:delete"/);
    expect(oneErrorLine(await herald('user:create', '--tenant', 'nope', '--name', 'X', '--email', 'x@example.com'))).toMatch(/tenant nope was not found/);
  });

  it('user:create and key:create (by e-mail, with scopes) print their JSON line; a duplicate e-mail fails', async () => {
    const user = oneJsonLine(await herald('user:create', '--tenant', 'acme', '--name', 'Brian Adams', '--email', 'brian@company.com'));
    expect(user).toEqual({ tenantId: tenant['tenantId'], userId: expect.any(String) });
    expect(oneErrorLine(await herald('user:create', '--tenant', 'acme', '--name', 'B', '--email', 'BRIAN@company.com'))).toMatch(
      /already exists/,
    );
    const key = oneJsonLine(await herald('key:create', '--tenant', 'acme', '--user', 'brian@company.com', '--scopes', 'read,write'));
    expect(key).toEqual({ tenantId: tenant['tenantId'], userId: user['userId'], keyId: expect.any(String), apiKey: expect.any(String) });
    expect(parseApiKey(key['apiKey'])?.keyId).toBe(key['keyId']);
    expect(oneErrorLine(await herald('key:create', '--tenant', 'acme', '--user', user['userId'], '--scopes', 'read,root'))).toMatch(/scopes/);
    expect(oneErrorLine(await herald('key:create', '--tenant', 'acme', '--user', 'nobody@company.com'))).toMatch(/user .* was not found/);

    // Everything reached the compacted principals topic, keys as hashes only.
    const count = (ms: Array<{ value: { kind: string } }>, kind: string) => ms.filter((m) => m.value.kind === kind).length;
    const messages = await readPrincipals(ns, (ms) => count(ms, 'tenant') >= 1 && count(ms, 'user') >= 2 && count(ms, 'api-key') >= 2);
    const byKind = (k: string) => messages.filter((m) => m.value.kind === k);
    expect(byKind('tenant').map((m) => m.value)).toEqual([
      expect.objectContaining({ tenantId: tenant['tenantId'], slug: 'acme', domain: 'acme.projectbubble.com' }),
    ]);
    expect(byKind('user').map((m) => m.value)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: tenant['userId'], fullName: 'Anna Doe', email: 'anna.doe@company.com', active: true }),
        expect.objectContaining({ userId: user['userId'], fullName: 'Brian Adams' }),
      ]),
    );
    const brianKey = byKind('api-key').find((m) => m.value.kind === 'api-key' && m.value.keyId === key['keyId']);
    expect(brianKey?.value).toMatchObject({ hash: hashApiKey(key['apiKey']), scopes: ['read', 'write'], revokedAt: null });
    for (const m of messages) {
      expect(m.key).toBe(principalKey(m.value));
      expect(m.schemaHeader).toBe('principal-snapshot/1');
      expect(m.raw).not.toContain(tenant['apiKey']);
      expect(m.raw).not.toContain(key['apiKey']);
    }
  });
});
