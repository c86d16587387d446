import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chaosVerdict, type PlannedFault } from './chaos-run';
import { computeLedger, type Ledger, type LedgerHook } from './ledger';
import { ApiLoad } from './load';
import type { Arrival } from './receiver-types';
import type { Tenant } from './scenario';

interface FakeTask {
  id: string;
  projectId: string;
  name: string;
  completed: boolean;
}

/**
 * The harness's side of the domain API's task endpoints, in memory: what ApiLoad sends and reads
 * back. Its first create (or, `hold: 'rename'`, its first rename) is held unanswered (the client
 * times out): a request still running in the API when its client gave up. The create commits when
 * it is sent again — after the harness read the task back and found nothing; the rename 300 ms
 * after it was sent again (and that one answered). Each committed change is an "arrival" as a
 * tag-recording receiver would see it.
 */
class FakeDomainApi {
  readonly tasks: FakeTask[] = [];
  readonly arrivals: Arrival[] = [];
  /** Epoch ms of each request, by `METHOD path`. */
  readonly requests: { at: number; what: string }[] = [];
  private held?: () => void;
  private creates = 0;
  private renames = 0;
  private server?: Server;
  /** Resolves once the held rename has committed. */
  lateRename: Promise<void>;
  private lateRenamed = (): void => undefined;

  constructor(private readonly hold: 'create' | 'rename' = 'create') {
    this.lateRename = new Promise((r) => (this.lateRenamed = r));
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private emit(type: string, t: FakeTask): void {
    this.arrivals.push({ id: randomUUID(), t: 0, ok: true, tag: `${type}|${t.id}|${t.name}` });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {};
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ at: Date.now(), what: `${req.method} ${url.pathname}` });
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    const [, , , id, action] = url.pathname.split('/');
    const task = this.tasks.find((t) => t.id === id);
    if (req.method === 'POST' && url.pathname === '/v1/tasks') {
      const create = () => {
        const t: FakeTask = { id: randomUUID(), projectId: String(body['projectId']), name: String(body['name']), completed: false };
        this.tasks.push(t);
        this.emit('task.created', t);
        return t;
      };
      if (this.hold === 'create' && this.creates++ === 0) {
        this.held = create; // no answer: the client gives up
        return;
      }
      this.held?.(); // the first create commits now, late
      this.held = undefined;
      return json(201, create());
    }
    if (req.method === 'GET' && url.pathname === '/v1/tasks') {
      return json(200, { data: this.tasks.filter((t) => t.projectId === url.searchParams.get('projectId')), page: { nextCursor: null } });
    }
    if (!task) return json(404, {});
    if (req.method === 'GET') return json(200, task);
    if (req.method === 'PATCH') {
      const rename = () => {
        if (task.name === body['name']) return;
        task.name = String(body['name']);
        this.emit('task.updated', task);
      };
      if (this.hold === 'rename' && this.renames++ === 0) {
        this.held = rename;
        return;
      }
      rename();
      json(200, task);
      const late = this.held;
      this.held = undefined;
      if (late) {
        setTimeout(() => {
          late();
          this.lateRenamed();
        }, 300);
      }
      return;
    }
    if (req.method === 'POST' && action === 'complete') {
      if (!task.completed) {
        task.completed = true;
        this.emit('task.completed', task);
      }
      return json(200, task);
    }
    json(405, {});
  }
}

const tenant: Tenant = { tenantId: 't1', userId: 'u1', apiKey: 'k', slug: 's', domain: 'd' };
const all: LedgerHook = { name: 'all', ordered: true, matches: () => true };
const created: LedgerHook = { name: 'created', ordered: false, matches: (c) => c.action === 'created' };

describe('ApiLoad', () => {
  let api: FakeDomainApi;
  let base: string;
  beforeEach(async () => {
    api = new FakeDomainApi();
    base = await api.start();
  });
  afterEach(() => api.stop());

  it('finds a create it sent again after an unknown outcome that had committed after all: recorded as created twice by the harness, its deliveries due, none unexpected', async () => {
    const load = new ApiLoad(() => base, tenant, { chains: 1, updates: 1, projects: ['p1'] }, { ratePerSec: 1_000, concurrency: 1, requestTimeoutMs: 300, settleMs: 2_000 });
    await load.run();

    // Two tasks named a0#0: the one the chain went on with (renamed a0#1, completed), and the first create's.
    expect(api.tasks.map((t) => [t.name, t.completed]).sort()).toEqual([
      ['a0#0', false],
      ['a0#1', true],
    ]);
    const stray = api.tasks.find((t) => t.name === 'a0#0');
    expect(load.stats).toMatchObject({ committed: 3, ambiguous: 1, createsResent: 1, createdTwice: 1 });
    expect(load.changes.filter((c) => c.sentTwice)).toEqual([expect.objectContaining({ key: 'a0~1#0', chain: 'a0~1', action: 'created', resourceId: stray?.id })]);
    expect(load.changes.find((c) => c.key === 'a0#0')?.unknownOutcomes).toEqual(['TimeoutError']);
    // It looked only once the create it sent again could no longer commit (settleMs after it was
    // sent; the whole chain took ~0.3 s): the list came ≥ 2 s after the create, less its trip here.
    const firstCreate = api.requests.find((r) => r.what === 'POST /v1/tasks')?.at ?? 0;
    const lastList = api.requests.filter((r) => r.what === 'GET /v1/tasks').pop()?.at ?? 0;
    expect(lastList - firstCreate).toBeGreaterThanOrEqual(1_500);

    const ledgerOf = (changes: typeof load.changes): Ledger =>
      computeLedger({ changes, hooks: [all, created], arrivals: { all: api.arrivals, created: api.arrivals.filter((a) => a.tag?.startsWith('task.created')) }, dlq: [] });
    const ledger = ledgerOf(load.changes);
    expect(ledger).toMatchObject({ changesCommitted: 3, changesBySource: { api: 3 }, sentTwiceByHarness: 1, ambiguousResolved: 1, deliveriesExpected: 6, delivered: 6, missing: 0, unexpected: 0, orderViolations: 0, inconsistentIds: 0 });
    // Without it, the stray task's `created` is an unexpected arrival at each hook (what the short chaos run saw).
    const strayCreated = api.arrivals.find((a) => a.tag === `task.created|${stray?.id}|a0#0`);
    const without = ledgerOf(load.changes.filter((c) => !c.sentTwice));
    expect(without.hooks.map((h) => [h.hook, h.unexpected, h.unexpectedSample])).toEqual([
      ['all', 1, [`${strayCreated?.id} task.created|${stray?.id}|a0#0`]],
      ['created', 1, [`${strayCreated?.id} task.created|${stray?.id}|a0#0`]],
    ]);
  });

  it('holds a chain\'s next change after a rename it sent again until the first attempt can no longer commit: a late first attempt is a no-op, not an undoing of the next rename', async () => {
    await api.stop();
    api = new FakeDomainApi('rename');
    base = await api.start();
    const load = new ApiLoad(() => base, tenant, { chains: 1, updates: 2, projects: ['p1'] }, { ratePerSec: 1_000, concurrency: 1, requestTimeoutMs: 300, settleMs: 1_500 });
    await load.run();
    await api.lateRename;
    expect(load.stats).toMatchObject({ committed: 4, ambiguous: 1, updatesResent: 1, createsResent: 0, createdTwice: 0 });
    expect(api.tasks.map((t) => [t.name, t.completed])).toEqual([['a0#2', true]]);
    expect(api.arrivals.map((a) => a.tag?.split('|')[0] + ' ' + a.tag?.split('|')[2])).toEqual(['task.created a0#0', 'task.updated a0#1', 'task.updated a0#2', 'task.completed a0#2']);
    const ledger = computeLedger({ changes: load.changes, hooks: [all], arrivals: { all: api.arrivals }, dlq: [] });
    expect(ledger).toMatchObject({ changesCommitted: 4, deliveriesExpected: 4, delivered: 4, unexpected: 0, orderViolations: 0 });
  });

  it('reconcile records each task once, however often it is run', async () => {
    const load = new ApiLoad(() => base, tenant, { chains: 2, updates: 0, projects: ['p1', 'p2'] }, { ratePerSec: 1_000, concurrency: 1, requestTimeoutMs: 300, settleMs: 0 });
    await load.run();
    expect(await load.reconcile()).toEqual([]);
    expect(load.changes.filter((c) => c.sentTwice).map((c) => c.key)).toEqual(['a0~1#0']);
    expect(load.changes.filter((c) => c.committedAt !== undefined && !c.sentTwice)).toHaveLength(4);
  });
});

describe('chaosVerdict', () => {
  const ledger = (over: Partial<Ledger>): Ledger => ({
    changesCommitted: 10,
    changesBySource: { api: 5, bus: 5 },
    sentTwiceByHarness: 0,
    ambiguousResolved: 0,
    deliveriesExpected: 20,
    delivered: 20,
    duplicates: 0,
    duplicateRate: 0,
    inDlq: 0,
    missing: 0,
    orderViolations: 0,
    unexpected: 0,
    setupArrivals: 0,
    unmappedChanges: 0,
    inconsistentIds: 0,
    hooks: [],
    ...over,
  });
  const plan: PlannedFault[] = [
    { atMs: 1, kind: 'kill', target: 'domain-api' },
    { atMs: 2, kind: 'kafka-kill', target: 'kafka' },
    { atMs: 3, kind: 'refuse', target: 'native-refuser' },
  ];
  const faults = plan.map((f) => ({ at: f.atMs, kind: f.kind, target: f.target }));
  const verdict = (l: Ledger, f = faults) => chaosVerdict({ ledger: l, planned: { api: 5, bus: 5 }, lags: [], faults: f, plan, instances: ['domain-api'], killsPerInstance: 1 });

  it('fails a run on everything the short run\'s spec asserts: unexpected arrivals, changes not committed, a planned fault that did not happen', () => {
    expect(verdict(ledger({}))).toEqual([]);
    const hook = { hook: 'native-all', expected: 10, delivered: 10, duplicates: 0, inDlq: 0, missing: 0, orderViolations: 0, setupArrivals: 0, failedArrivals: 0, missingSample: [] };
    expect(verdict(ledger({ unexpected: 5, hooks: [{ ...hook, unexpected: 5, unexpectedSample: ['x'] }] }))).toEqual(['5 unexpected arrivals (native-all 5)']);
    expect(verdict(ledger({ changesCommitted: 9, changesBySource: { api: 4, bus: 5 } }))).toEqual(['9 of 10 changes committed (api 4/5, bus 5/5)']);
    expect(verdict(ledger({}), faults.slice(0, 2))).toEqual(['refuse: 0 of 1 planned']);
    expect(verdict(ledger({}), faults.slice(1))).toEqual(['domain-api killed 0 times, not 1']);
  });
});
