import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createRegistryClient } from '@herald/client';
import { startReceiver, waitFor, type Receiver } from '@herald/platform/testing';
import { HeraldStack, answerOf, type Answer, type Tenant } from '../herald-stack';

/*
 * Issue 13.3: each dialect's inputs fuzzed with fast-check against the real registry — Worksection
 * query strings (with a valid hash and without), Procore's filter[…], page / per_page and bodies,
 * PPM Express bodies, ProProfs' key and domain headers. Whatever comes in: never a 5xx, and the
 * answer is the dialect's own shape, as its OpenAPI document gives it for that status (ajv against
 * the served document). FUZZ_RUNS sets the runs per property (default 60); a failure prints the
 * seed and the shrunk input (fast-check), replayable with FUZZ_SEED.
 */
jest.setTimeout(600_000);

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 60);
const SEED = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : undefined;
const params = () => ({ numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true });

type Json = Record<string, unknown>;
/** Text a careless or hostile client sends: control characters, NUL, escapes, huge numbers, long runs, operators. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    '\u0000',
    'a\u0000b',
    '%00',
    '%',
    '%ZZ',
    '%FF%FE',
    '9'.repeat(40),
    '-1',
    '0',
    '1e309',
    '9007199254740993',
    'NaN',
    '__proto__',
    'constructor',
    '[]',
    '{}',
    "' OR 1=1 --",
    '../../etc/passwd',
    'x'.repeat(5_000),
    'é漢字🙂',
    '\u202e',
  ),
);
/** URLs that never leave the machine (no DNS name to look up): loopback, private, malformed. */
const localUrl = (receiver: string) =>
  fc.oneof(
    fc.constantFrom(`${receiver}/ok`, `${receiver}/bad`, 'http://127.0.0.1:1/closed', 'http://10.0.0.1/private', 'http://169.254.169.254/latest', 'ftp://127.0.0.1/x', 'not a url', 'http://[::1]:1/', 'javascript:alert(1)'),
    nasty.filter((s) => !s.includes(':')),
  );

describe('dialect inputs, fuzzed (fast-check): never a 5xx, always the dialect shape', () => {
  let stack: HeraldStack;
  let tenant: Tenant & { slug: string; domain: string };
  let adminKey: string;
  let receiver: Receiver;
  let doc: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: Json }> }> }>> };
  let company: number;
  let procoreHook: number;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);

  beforeAll(async () => {
    stack = await HeraldStack.start('dialectfuzz');
    const slug = `df-${randomUUID().slice(0, 8)}`;
    const t = await stack.createTenant(slug);
    tenant = { ...t, slug, domain: `${slug}.example.test` };
    receiver = await startReceiver();
    receiver.respondWith((r) => (r.path.startsWith('/bad') ? { status: 500, body: 'nope' } : undefined));
    const { stdout } = await run(process.execPath, ['-r', '@swc-node/register', 'apps/subscription-registry/src/cli.ts', 'worksection:admin-key', '--tenant', slug], {
      cwd: ROOT,
      env: { ...process.env, ...stack.env },
    });
    adminKey = (JSON.parse(stdout.trim()) as { adminApiKey: string }).adminApiKey;
    const registry = createRegistryClient(stack.url('subscription-registry'), { apiKey: tenant.apiKey });
    company = await waitFor(async () => (await registry.GET('/rest/v1.0/companies')).data?.[0]?.id, { timeoutMs: 60_000, message: 'the registry knows the key' });
    const hook = await registry.POST('/rest/v1.0/webhooks/hooks', { body: { company_id: company, hook: { destination_url: `${receiver.url}/procore`, api_version: 'v2.0' } } });
    expect(hook.response.status).toBe(201);
    procoreHook = hook.data!.id;
    doc = (await (await fetch(`${stack.url('subscription-registry')}/v1/webhooks/openapi.json`)).json()) as typeof doc;
  });

  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  async function send(method: string, pathAndQuery: string, headers: Record<string, string>, body?: unknown, retried = false): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(`${stack.url('subscription-registry')}${pathAndQuery}`, {
        method,
        headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
    } catch (e) {
      // A kept-alive socket the server closed just as it was reused (not an answer): once more, on a
      // fresh one. The registry being down would fail again, and the property with it.
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      if (!retried && (cause === 'ECONNRESET' || cause === 'UND_ERR_SOCKET' || cause === 'EPIPE')) return send(method, pathAndQuery, headers, body, true);
      throw new Error(`${method} ${pathAndQuery.slice(0, 200)}: ${(e as Error).message} (${cause ?? 'no cause'})`);
    }
    return answerOf(res);
  }

  /** Not a 5xx, and the body is what the document gives for this operation and status. */
  function conforms(method: string, template: string, got: Answer): void {
    const where = `${method} ${template} → ${got.status} ${got.text.slice(0, 300)}`;
    expect({ where, serverError: got.status >= 500 }).toEqual({ where, serverError: false });
    const documented = doc.paths[template]?.[method.toLowerCase()]?.responses[String(got.status)];
    expect({ where, documented: Boolean(documented) }).toEqual({ where, documented: true });
    const media = documented!.content ? Object.entries(documented!.content)[0] : undefined;
    if (!media) return; // a documented answer without a body (204, a DELETE's 200)
    expect({ where, contentType: got.contentType.includes(media[0]) }).toEqual({ where, contentType: true });
    const valid = media[1].schema ? ajv.validate(media[1].schema, got.json) : true;
    expect({ where, valid, errors: valid ? '' : ajv.errorsText() }).toEqual({ where, valid: true, errors: '' });
  }

  /** `k=v&…` exactly as it goes on the wire: each piece either percent-encoded or raw (a client that does not encode). */
  const queryPair = (keys: fc.Arbitrary<string>) =>
    fc.tuple(keys, nasty, fc.boolean()).map(([k, v, raw]) => (raw ? `${k}=${v.replace(/[&#\s]/g, '')}` : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`));
  const safeEncode = (s: string) => {
    try {
      encodeURIComponent(s);
      return true;
    } catch {
      return false;
    }
  };

  it('Worksection admin API: any query string, signed or not, is answered 200 with the envelope (status_code 2 only when the hash is wrong)', async () => {
    const key = fc.constantFrom('action', 'url', 'events', 'projects', 'http_user', 'http_pass', 'id', 'x', 'action[]', 'events[0]');
    const action = fc.constantFrom('get_webhooks', 'delete_webhook', 'add_webhook', 'remove_everything', '');
    await fc.assert(
      fc.asyncProperty(
        action,
        fc.array(queryPair(key), { maxLength: 6 }),
        localUrl(receiver.url),
        fc.constantFrom('valid', 'none', 'wrong', 'garbage'),
        async (act, pairs, url, signing) => {
          fc.pre(pairs.every(safeEncode) && safeEncode(url));
          // The query as it goes on the wire (fetch percent-encodes what a URL may not carry raw): what the hash covers.
          const q = new URL(`http://x/?${[`action=${act}`, `url=${encodeURIComponent(url)}`, 'events=post_task', ...pairs].join('&')}`).search.slice(1);
          const hash =
            signing === 'valid'
              ? createHash('md5').update(q + adminKey).digest('hex')
              : signing === 'wrong'
                ? createHash('md5').update(q + 'another key').digest('hex')
                : signing === 'garbage'
                  ? 'zz%00'
                  : undefined;
          const got = await send('GET', `/api/admin/v2?${q}${hash ? `&hash=${hash}` : ''}`, { 'x-forwarded-host': `${tenant.slug}.localhost` });
          conforms('GET', '/api/admin/v2', got);
          const b = got.json as Json;
          expect(got.status).toBe(200);
          if (signing === 'valid') expect(b['status_code']).not.toBe(2);
          else expect({ q, status: b['status'], code: b['status_code'] }).toEqual({ q, status: 'error', code: 2 });
        },
      ),
      params(),
    );
  });

  it('Worksection OAuth2 API: any query string with a valid Bearer key is answered 200 with the envelope', async () => {
    const key = fc.constantFrom('action', 'url', 'events', 'projects', 'id', 'hash');
    await fc.assert(
      fc.asyncProperty(fc.array(queryPair(key), { minLength: 1, maxLength: 6 }), fc.constantFrom('GET', 'POST'), async (pairs, method) => {
        fc.pre(pairs.every(safeEncode));
        const got = await send(method, `/api/oauth2?${pairs.join('&')}`, { authorization: `Bearer ${tenant.apiKey}` });
        conforms(method, '/api/oauth2', got);
        expect((got.json as Json)['status_code']).not.toBe(2);
      }),
      params(),
    );
  });

  it("Procore deliveries: any filter[…], filters[…], page and per_page is a 200 list or Procore's 400 (a bad page / per_page / page_size one naming it)", async () => {
    const key = fc.constantFrom('filter[status]', 'filter[resource_name]', 'filter[event_type]', 'filter[start]', 'filter[end]', 'filters[status]', 'page', 'per_page', 'page_size', 'filter', 'filter[status][0]', 'filter[]');
    const known = fc.constantFrom('succeeded', 'failed', 'retrying', 'Tasks', 'Calendar Events', 'create', '2026-11-01', '2026-02-30', '1', '1000', '1001', '0', '-5', '99999999999999999999', '100000', '100001', '007', '1.0', ' 2');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, fc.oneof(known, nasty)), { maxLength: 5 }), fc.boolean(), async (pairs, v2) => {
        const q = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).filter(safeEncode);
        fc.pre(pairs.every(([, v]) => safeEncode(v)));
        const template = v2 ? '/rest/v2.0/companies/{companyId}/webhooks/hooks/{hookId}/deliveries' : '/rest/v1.0/webhooks/hooks/{hookId}/deliveries';
        const p = v2 ? `/rest/v2.0/companies/${company}/webhooks/hooks/${procoreHook}/deliveries` : `/rest/v1.0/webhooks/hooks/${procoreHook}/deliveries`;
        const got = await send('GET', `${p}?${[...(v2 ? [] : [`company_id=${company}`]), ...q].join('&')}`, { authorization: `Bearer ${tenant.apiKey}` });
        conforms('GET', template, got);
        expect([200, 400]).toContain(got.status);
        // Paging is never silently replaced: a value that is not one whole number within the
        // documented bounds (page ≤ 100,000, per_page / page_size ≤ 1000) is a 400 naming it,
        // and a 400 names no paging parameter that was fine.
        const badPaging = Object.entries({ page: 100_000, per_page: 1000, page_size: 1000 })
          .filter(([k, max]) => {
            const given = pairs.filter(([key]) => key === k).map(([, v]) => v);
            if (given.length === 0 || (given.length === 1 && given[0] === '')) return false;
            return given.length > 1 || !/^[0-9]{1,16}$/.test(given[0]) || Number(given[0]) < 1 || Number(given[0]) > max;
          })
          .map(([k]) => k);
        const named = Object.keys(((got.json as Json | undefined)?.['errors'] ?? {}) as Json).filter((k) => ['page', 'per_page', 'page_size'].includes(k));
        expect({ status: badPaging.length ? got.status : 'any', named: named.sort() }).toEqual({ status: badPaging.length ? 400 : 'any', named: badPaging.sort() });
      }),
      params(),
    );
  });

  it("Procore bodies: any hook, trigger or bulk body is answered in Procore's shape", async () => {
    const hookFields = fc.record(
      {
        api_version: fc.oneof(fc.constantFrom('v2', 'v2.0', 'v4.0', 'V3', 'v5', ''), nasty),
        payload_version: fc.oneof(fc.constantFrom('v2.0', 'v4.0'), nasty),
        namespace: fc.oneof(fc.constantFrom('procore', 'my-app', 'UPPER'), nasty),
        destination_url: localUrl(receiver.url),
        destination_headers: fc.oneof(fc.record({ Authorization: fc.oneof(nasty, fc.constant(null)) }), fc.jsonValue()),
        status: fc.oneof(fc.constantFrom('active', 'disabled'), nasty),
      },
      { requiredKeys: [] },
    );
    const trigger = fc.record({ resource_name: fc.oneof(fc.constantFrom('Tasks', 'tasks', 'Key Dates', 'Nope'), nasty), event_type: fc.oneof(fc.constantFrom('create', 'update', 'delete', 'explode'), nasty) }, { requiredKeys: [] });
    const scope = fc.record({ company_id: fc.oneof(fc.constant(company), fc.constant(String(company)), fc.integer(), fc.double(), nasty), project_id: fc.oneof(nasty, fc.integer()) }, { requiredKeys: [] });
    const cases = [
      { method: 'POST', template: '/rest/v1.0/webhooks/hooks', body: fc.oneof(fc.tuple(scope, hookFields).map(([s, h]) => ({ ...s, hook: h })), fc.jsonValue()) },
      { method: 'POST', template: '/rest/v1.0/webhooks/hooks/{hookId}/triggers', body: fc.oneof(fc.tuple(scope, trigger).map(([s, t]) => ({ ...s, trigger: t })), fc.jsonValue()) },
      { method: 'POST', template: '/rest/v1.0/webhooks/hooks/{hookId}/triggers/bulk', body: fc.oneof(fc.tuple(scope, fc.array(trigger, { maxLength: 5 })).map(([s, t]) => ({ ...s, triggers: t })), fc.jsonValue()) },
      { method: 'DELETE', template: '/rest/v1.0/webhooks/hooks/{hookId}/triggers/bulk', body: fc.oneof(fc.tuple(scope, fc.array(fc.oneof(fc.integer(), nasty), { maxLength: 5 })).map(([s, ids]) => ({ ...s, trigger_ids: ids })), fc.jsonValue()) },
      { method: 'PATCH', template: '/rest/v1.0/webhooks/hooks/{id}', body: fc.oneof(fc.tuple(scope, hookFields).map(([s, h]) => ({ ...s, hook: h })), fc.jsonValue()) },
      { method: 'POST', template: '/rest/v2.0/companies/{companyId}/webhooks/hooks', body: fc.oneof(hookFields, fc.jsonValue()) },
      { method: 'POST', template: '/rest/v2.0/companies/{companyId}/webhooks/hooks/{hookId}/triggers/bulk', body: fc.oneof(fc.array(trigger, { maxLength: 5 }), fc.jsonValue()) },
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...cases.map((_, i) => i)).chain((i) => fc.tuple(fc.constant(i), cases[i].body)), async ([i, body]) => {
        const c = cases[i];
        const p = c.template.replace('{companyId}', String(company)).replace('{hookId}', String(procoreHook)).replace('{id}', String(procoreHook));
        const query = c.method === 'PATCH' ? `?company_id=${company}` : '';
        let text: string;
        try {
          text = JSON.stringify(body);
        } catch {
          fc.pre(false);
          return;
        }
        fc.pre(text !== undefined);
        const got = await send(c.method, p + query, { authorization: `Bearer ${tenant.apiKey}` }, text);
        conforms(c.method, c.template, got);
      }),
      params(),
    );
  });

  it("PPM Express bodies: any create body is the webhook (200) or PPM Express' error", async () => {
    const header = fc.record({ name: fc.oneof(fc.constantFrom('Authorization', 'X-Team', 'content-type', 'webhook-id', 'ce-type', 'Host'), nasty), value: fc.oneof(nasty, fc.integer()) }, { requiredKeys: [] });
    const body = fc.oneof(
      fc.record(
        {
          eventTypes: fc.oneof(fc.array(fc.oneof(fc.constantFrom('Task:Created', 'Project:Updated', 'KeyDate:Deleted', 'task:created'), nasty), { maxLength: 4 }), nasty),
          headers: fc.oneof(fc.array(header, { maxLength: 4 }), nasty),
          httpVerb: fc.oneof(fc.constantFrom('POST', 'PUT', 'PATCH', 'GET', 'post'), nasty),
          url: localUrl(receiver.url),
          extra: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('v1', 'v2.1', 'V1'), async (b, version) => {
        const got = await send('POST', `/@${tenant.slug}/${version}/Webhooks`, { authorization: `Bearer ${tenant.apiKey}` }, JSON.stringify(b));
        conforms('POST', '/@{tenant}/{apiVersion}/Webhooks', got);
        expect([200, 400, 409]).toContain(got.status);
      }),
      params(),
    );
  });

  it("ProProfs headers: any key and domain header is answered in ProProfs' shape ({error} on a refusal)", async () => {
    // What a client can put in a header value (fetch refuses the rest): visible ASCII, space and Latin-1 (no DEL, CR, LF, NUL).
    const headerText = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 60 }).map((s) => s.trim()),
      fc.constantFrom(tenant?.apiKey ?? '', 'hk_', 'hk_x_y', `hk_${'a'.repeat(16)}_${'b'.repeat(43)}`, '9'.repeat(200)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(tenant.apiKey), headerText),
        fc.oneof(fc.constantFrom(tenant.domain, tenant.slug, tenant.domain.toUpperCase(), 'other.example.test'), headerText),
        fc.boolean(),
        async (key, domainHeader, subscribe) => {
          const headers: Record<string, string> = { key, domain: domainHeader };
          const got = subscribe
            ? await send('POST', '/v2/hooks', headers, JSON.stringify({ target_url: `${receiver.url}/pp-${randomUUID()}`, event: 'new_task' }))
            : await send('DELETE', `/v2/hooks/${'1'.repeat(30)}`, headers);
          conforms(subscribe ? 'POST' : 'DELETE', subscribe ? '/v2/hooks' : '/v2/hooks/{id}', got);
          if (key !== tenant.apiKey) expect(got.status).toBe(401);
        },
      ),
      params(),
    );
  });
});
