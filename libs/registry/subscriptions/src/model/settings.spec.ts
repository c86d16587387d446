import { DEFAULT_RETRY_POLICY, SubscriptionSnapshotSchema } from '@herald/contracts';
import { thrownBy } from '@herald/platform/testing';
import { SubscriptionValidationError } from './errors';
import { DEFAULT_FAILURE_POLICY, applyPatch, parsePatch, settingsForCreate } from './settings';

const issuesOf = (fn: () => unknown) => thrownBy(fn, SubscriptionValidationError).issues;

describe('settingsForCreate', () => {
  it('needs only url and event types; everything else has a default', () => {
    const s = settingsForCreate({ url: 'https://example.com/hook', eventTypes: ['task.created'] });
    expect(s).toMatchObject({
      httpVerb: 'POST',
      scope: { kind: 'tenant' },
      ownerOnly: false,
      payloadFormat: 'native',
      successContract: '2xx',
      timeoutMs: 5_000,
      rateLimitPerSec: null,
      deliveryMode: 'independent',
      headers: [],
      authorization: null,
      basicAuth: null,
      templateId: null,
    });
    expect(s.retryPolicy).toEqual(DEFAULT_RETRY_POLICY);
    expect(s.retryPolicy.scheduleMs).toEqual([5_000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000]);
    expect(s.failurePolicy).toEqual(DEFAULT_FAILURE_POLICY);
  });

  it('folds "*" and duplicates', () => {
    expect(settingsForCreate({ url: 'https://e.com', eventTypes: ['task.created', 'task.created'] }).eventTypes).toEqual(['task.created']);
    expect(settingsForCreate({ url: 'https://e.com', eventTypes: ['task.created', '*'] }).eventTypes).toEqual(['*']);
  });

  it('refuses unknown event types, unknown fields, bad schemes and reserved headers, naming each', () => {
    const issues = issuesOf(() =>
      settingsForCreate({
        url: 'ftp://e.com',
        eventTypes: ['task.created', 'task.exploded'],
        colour: 'red',
        headers: [{ name: 'webhook-signature', value: 'x' }],
      }),
    );
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['url', 'eventTypes.1', 'headers.0.name', '']));
    expect(issues.find((i) => i.path === 'eventTypes.1')!.message).toContain('task.exploded');
  });

  // Found by npm run fuzz:api (Worksection's settings page, http_user "\u0000r…"): a NUL in the basic
  // auth user reached PostgreSQL, which refuses it in text: a 500.
  it('refuses NUL, CR and LF in the basic-auth user and password, naming the field', () => {
    for (const basicAuth of [{ user: '\u0000r', password: '' }, { user: 'u', password: 'p\u0000' }, { user: 'u\r\n', password: '' }]) {
      const paths = issuesOf(() => settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], basicAuth })).map((i) => i.path);
      expect(paths).toEqual([basicAuth.user === 'u' ? 'basicAuth.password' : 'basicAuth.user']);
    }
  });

  it('refuses NUL and lone surrogates in every text a hook stores, keys of filters and options included (fuzz:api: a NUL key in resourceFilters was a 500 from jsonb)', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ resourceFilters: { program: { 'a\u0000b': null } } }, 'resourceFilters.program.a\u0000b'],
      [{ resourceFilters: { task: { status: 'x\u0000' } } }, 'resourceFilters.task.status'],
      [{ resourceFilters: { task: { '\ud800': 1 } } }, 'resourceFilters.task.\ud800'],
      [{ fieldFilters: { task: ['ok', 'n\u0000'] } }, 'fieldFilters.task.1'],
      [{ formatOptions: { a: [{ b: 'c\u0000' }] } }, 'formatOptions.a.0.b'],
      [{ formatOptions: { 'k\u0000': 1 } }, 'formatOptions.k\u0000'],
      [{ formatOptions: { a: '\udc00x' } }, 'formatOptions.a'],
      [{ scope: { kind: 'projects', projectIds: ['p\u0000'] } }, 'scope.projectIds.0'],
      [{ scope: { kind: 'project', projectId: 'p' }, templateId: 't\u0000' }, 'templateId'],
    ];
    for (const [extra, path] of cases) {
      const paths = issuesOf(() => settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], ...extra })).map((i) => i.path);
      expect({ path, paths }).toEqual({ path, paths: [path] });
    }
    // A well-formed pair (an astral character) is fine, and options as deep as the document says (Procore's triggers).
    const procore = { namespace: 'procore', triggers: [{ resource_type: 'Tasks', event_type: 'create' }], authorizationHint: null, emoji: '\ud83d\ude00' };
    expect(settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], formatOptions: procore }).formatOptions).toEqual({ ...procore, emoji: '😀' });
  });

  it('refuses formatOptions nested deeper than the document describes (fuzz:api: {"":{"":{"":{}}}} was taken)', () => {
    for (const [formatOptions, path] of [
      [{ '': { '': { '': {} } } }, 'formatOptions...'],
      [{ a: [[[1]]] }, 'formatOptions.a.0.0'],
    ] as const) {
      expect(issuesOf(() => settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], formatOptions })).map((i) => i.path)).toEqual([path]);
    }
    expect(settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], formatOptions: { a: [[1]], b: { c: { d: null } } } }).formatOptions).toEqual({ a: [[1]], b: { c: { d: null } } });
  });

  it('takes both CloudEvents modes as payload formats, and refuses ce-* custom headers (Herald sets the attributes)', () => {
    for (const f of ['cloudevents-structured', 'cloudevents-binary'] as const) {
      expect(settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], payloadFormat: f }).payloadFormat).toBe(f);
    }
    expect(issuesOf(() => settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], payloadFormat: 'cloudevents' }))[0].path).toBe('payloadFormat');
    const issues = issuesOf(() => settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], headers: [{ name: 'CE-Type', value: 'x' }] }));
    expect(issues).toEqual([expect.objectContaining({ path: 'headers.0.name', message: expect.stringContaining('CloudEvents') })]);
  });

  it('refuses missing url / event types and credentials in the URL', () => {
    expect(issuesOf(() => settingsForCreate({})).map((i) => i.path)).toEqual(expect.arrayContaining(['url', 'eventTypes']));
    expect(issuesOf(() => settingsForCreate({ url: 'https://u:p@e.com', eventTypes: ['*'] }))[0].message).toContain('credentials');
  });

  it('puts dialect defaults under the caller settings, nested policies merged field by field', () => {
    const s = settingsForCreate(
      { url: 'https://e.com', eventTypes: ['*'], failurePolicy: { autoDisableAfter: 3 } },
      { successContract: 'status-ok', failurePolicy: { unsubscribeOn: [401], autoDisableAfter: 10 }, retryPolicy: { maxAttempts: 3 } },
    );
    expect(s.successContract).toBe('status-ok');
    expect(s.failurePolicy).toEqual({ ...DEFAULT_FAILURE_POLICY, unsubscribeOn: [401], autoDisableAfter: 3 });
    expect(s.retryPolicy).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 3 });
  });

  it('knows four success contracts: 2xx, 200 (exactly), 200-or-204 and status-ok', () => {
    for (const c of ['2xx', '200', '200-or-204', 'status-ok'] as const) {
      expect(settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], successContract: c }).successContract).toBe(c);
    }
    expect(issuesOf(() => settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], successContract: '3xx' }))[0].path).toBe('successContract');
  });

  it('only lets a project-level hook belong to a template', () => {
    expect(issuesOf(() => settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], templateId: 't1' }))[0].path).toBe('templateId');
    expect(
      settingsForCreate({ url: 'https://e.com', eventTypes: ['*'], templateId: 't1', scope: { kind: 'project', projectId: 'p1' } }).templateId,
    ).toBe('t1');
  });

  it('produces values the snapshot schema accepts', () => {
    const s = settingsForCreate({ url: 'https://e.com/x', eventTypes: ['*'] });
    const enc = { kid: 'k', iv: 'i', tag: 't', ct: 'c' };
    const snapshot = {
      ...s,
      id: 'a',
      tenantId: 't',
      ownerUserId: 'u',
      dialect: 'native',
      status: 'active',
      headers: [],
      authorization: null,
      basicAuth: null,
      signingSecrets: [{ secret: enc, expiresAt: null }],
      version: 1,
      updatedAt: new Date().toISOString(),
    };
    expect(SubscriptionSnapshotSchema.safeParse(snapshot).success).toBe(true);
  });
});

describe('patches', () => {
  const current = settingsForCreate({ url: 'https://e.com', eventTypes: ['*'] });

  it('change only what they name, nested policies field by field', () => {
    const next = applyPatch(current, parsePatch({ timeoutMs: 1_000, retryPolicy: { maxAttempts: 2 } }));
    expect(next.timeoutMs).toBe(1_000);
    expect(next.retryPolicy).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 2 });
    expect(next.url).toBe('https://e.com');
  });

  it('are strict', () => {
    expect(issuesOf(() => parsePatch({ retryPolicy: { tries: 3 } }))[0].path).toBe('retryPolicy');
  });
});

describe('what one hook may ask of the shared dispatcher', () => {
  const base = { url: 'https://e.com', eventTypes: ['*'] };

  it('refuses a retry schedule entry longer than 6 h (the longest tier): days would park a delivery in the tiers for days', () => {
    const [issue] = issuesOf(() => settingsForCreate({ ...base, retryPolicy: { scheduleMs: [5_000, 3 * 24 * 3_600_000] } }));
    expect(issue).toEqual({ path: 'retryPolicy.scheduleMs.1', message: expect.stringContaining('6 h') });
    expect(settingsForCreate({ ...base, retryPolicy: { scheduleMs: [6 * 3_600_000] } }).retryPolicy.scheduleMs).toEqual([6 * 3_600_000]);
    expect(issuesOf(() => parsePatch({ retryPolicy: { scheduleMs: [6 * 3_600_000 + 1] } }))[0].path).toBe('retryPolicy.scheduleMs.0');
  });

  it('refuses a rate limit under one attempt a second, and takes null (no limit)', () => {
    for (const rateLimitPerSec of [0.5, 0.001, 0, -1]) {
      expect(issuesOf(() => settingsForCreate({ ...base, rateLimitPerSec }))).toEqual([{ path: 'rateLimitPerSec', message: expect.stringContaining('at least 1 attempt a second') }]);
    }
    expect(settingsForCreate({ ...base, rateLimitPerSec: 1 }).rateLimitPerSec).toBe(1);
    expect(settingsForCreate({ ...base, rateLimitPerSec: null }).rateLimitPerSec).toBeNull();
    expect(issuesOf(() => parsePatch({ rateLimitPerSec: 0.2 }))[0].path).toBe('rateLimitPerSec');
  });
});
