import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ResourceChangePublisher, type ResourceChange } from '@herald/contracts';
import type { ChangeFacts, Tenant } from './scenario';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One change of the run. A chain is one task's life: created (seq 0), renamed `updates` times
 * (seq 1…), completed (last seq). Its name is `<chain>#<seq>` — what receivers see.
 */
export interface ChangeRecord extends ChangeFacts {
  key: string;
  chain: string;
  seq: number;
  source: 'api' | 'bus';
  resourceId?: string;
  /** Bus changes: chosen by the harness. API changes: learnt from the receivers. */
  eventId?: string;
  /** Epoch ms of the acknowledgement; undefined: not committed (yet). */
  committedAt?: number;
  /** Requests or sends made for it, and how many of them had an unknown outcome. */
  attempts: number;
  ambiguous: number;
  /** API changes: what each unknown outcome was (`TimeoutError`, `HTTP 500`, `UND_ERR_SOCKET`…). */
  unknownOutcomes?: string[];
  /**
   * A task the harness created twice (ApiLoad.reconcile): a create of this chain read back as not
   * committed, sent again, and committed after all. Its own chain (`<chain>~<n>`), one change (its
   * `created`), not one of the run's planned changes — but committed, so due to every hook it matches.
   */
  sentTwice?: boolean;
}

export interface ChainPlan {
  chains: number;
  /** Renames between create and complete. */
  updates: number;
  projects: string[];
}

export function chainLength(updates: number): number {
  return updates + 2;
}

function actionOf(seq: number, updates: number): ChangeRecord['action'] {
  return seq === 0 ? 'created' : seq <= updates ? 'updated' : 'completed';
}

export function taskName(chain: string, seq: number): string {
  return `${chain}#${seq}`;
}

/** A token bucket: `take()` resolves when one more unit may go, at `ratePerSec` on average. */
export class Pace {
  private next = Date.now();
  constructor(private ratePerSec: number) {}
  setRate(r: number): void {
    this.ratePerSec = r;
  }
  async take(): Promise<void> {
    const now = Date.now();
    if (this.next < now - 1_000) this.next = now - 1_000; // at most 1 s of catching up
    const wait = this.next - now;
    this.next += 1000 / this.ratePerSec;
    if (wait > 0) await sleep(wait);
  }
}

export interface LoadStats {
  started: number;
  committed: number;
  requests: number;
  ambiguous: number;
  refused: number;
  errors: Record<string, number>;
  /** Domain API: creates whose unknown outcome was read back as not committed, and so were sent again. */
  createsResent?: number;
  /** Domain API: tasks found created twice (ApiLoad.reconcile), each a create sent again that had committed after all. */
  createdTwice?: number;
  /** Domain API: renames and completions whose unknown outcome was read back as not committed, and so were sent again. */
  updatesResent?: number;
}

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

type Outcome = { kind: 'ok'; status: number; body: unknown } | { kind: 'refused' | 'ambiguous' | 'rejected'; detail: string };

/** One domain-API request, classified: committed, surely not (connection refused, 4xx), or unknown (reset, timeout, 5xx). */
async function request(url: string, method: string, apiKey: string, body: unknown, timeoutMs: number): Promise<Outcome> {
  try {
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (res.status >= 200 && res.status < 300) return { kind: 'ok', status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
    if (res.status >= 500) return { kind: 'ambiguous', detail: `HTTP ${res.status}` };
    return { kind: 'rejected', detail: `HTTP ${res.status} ${text.slice(0, 200)}` };
  } catch (e) {
    const code = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    if (code === 'ECONNREFUSED') return { kind: 'refused', detail: code };
    return { kind: 'ambiguous', detail: code };
  }
}

/**
 * Half of the changes: through the domain API (`POST /v1/tasks`, `PATCH /v1/tasks/{id}`,
 * `POST /v1/tasks/{id}/complete`), `concurrency` chains at a time, at `ratePerSec` requests.
 * A request whose outcome is unknown (connection reset, timeout, 5xx — e.g. the domain API or
 * PostgreSQL killed under it) is resolved by reading the task back once the API answers again;
 * a change found not committed is sent again, and `committedAt` is known for each change.
 *
 * Reading back cannot tell "not committed" from "not committed yet": a request the client gave up
 * on (its timeout) may still be running in the domain API and commit later. A create sent again
 * then makes a second task of the same name, whose `created` the receivers get too. So the run
 * ends with `reconcile()`: once no such create can commit any more (`settleMs` after it was
 * sent), every task of the plan's projects is listed, and each task named after one of this
 * load's creates that is not the task its chain went on with is recorded as a change of its own,
 * `sentTwice` — the harness's doing, not Herald's, but committed, so due to every hook it matches.
 * A rename sent again holds its chain's next change until `settleMs` after the first attempt, so
 * that a late first attempt is a no-op rather than undoing a newer rename.
 */
export class ApiLoad {
  readonly changes: ChangeRecord[] = [];
  readonly stats: LoadStats = { started: 0, committed: 0, requests: 0, ambiguous: 0, refused: 0, errors: {}, createsResent: 0, createdTwice: 0, updatesResent: 0 };
  private stopped = false;
  private readonly pace: Pace;
  /** When the last create whose unknown outcome was read back as "not committed" had been sent. */
  private lastUnsettledCreateAt?: number;

  constructor(
    private readonly domainApi: () => string,
    private readonly tenant: Tenant,
    private readonly plan: ChainPlan,
    private readonly opts: {
      ratePerSec: number;
      concurrency: number;
      prefix?: string;
      /** The client's timeout per request (default 20 s). */
      requestTimeoutMs?: number;
      /**
       * How long after it was sent a request the client gave up on may still commit in the domain
       * API (default 45 s: the client gave up at 20 s; the API waits ≤ 5 s for a pool connection,
       * and its statement timeout (30 s) bounds the INSERT or UPDATE). reconcile() looks for
       * second tasks only after it; a chain's next change waits for it after a rename sent again.
       */
      settleMs?: number;
    },
  ) {
    this.pace = new Pace(opts.ratePerSec);
  }

  private get timeoutMs(): number {
    return this.opts.requestTimeoutMs ?? 20_000;
  }

  private get settleMs(): number {
    return this.opts.settleMs ?? 45_000;
  }

  setRate(r: number): void {
    this.pace.setRate(r);
  }

  stop(): void {
    this.stopped = true;
  }

  /** Every chain (until `stop()`), then `reconcile()`. */
  async run(): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: this.opts.concurrency }, async () => {
        while (!this.stopped && next < this.plan.chains) await this.chain(next++);
      }),
    );
    await this.reconcile();
  }

  private async chain(i: number): Promise<void> {
    const chain = `${this.opts.prefix ?? 'a'}${i}`;
    const projectId = this.plan.projects[i % this.plan.projects.length];
    const n = chainLength(this.plan.updates);
    const records: ChangeRecord[] = Array.from({ length: n }, (_, seq) => ({
      key: taskName(chain, seq),
      chain,
      seq,
      source: 'api',
      action: actionOf(seq, this.plan.updates),
      projectId,
      initiatorUserId: this.tenant.userId,
      external: false,
      attempts: 0,
      ambiguous: 0,
    }));
    this.changes.push(...records);
    this.stats.started += 1;
    let taskId: string | undefined;
    // After a rename sent again on an unknown outcome: until then the first attempt may still
    // commit, and a next rename sent before it would be undone by it (the task left with the older
    // name, an event of it after the newer one's). Once it can no longer, it commits nothing or a
    // no-op (the name it sets is the task's already).
    let settledAt = 0;
    for (const r of records) {
      if (Date.now() < settledAt && !this.stopped) await sleep(settledAt - Date.now());
      while (!this.stopped && r.committedAt === undefined) {
        await this.pace.take();
        if (this.stopped) return;
        r.attempts += 1;
        this.stats.requests += 1;
        const base = this.domainApi();
        const sentAt = Date.now();
        const out =
          r.seq === 0
            ? await request(`${base}/v1/tasks`, 'POST', this.tenant.apiKey, { projectId, name: r.key, external: false }, this.timeoutMs)
            : r.action === 'updated'
              ? await request(`${base}/v1/tasks/${taskId}`, 'PATCH', this.tenant.apiKey, { name: r.key }, this.timeoutMs)
              : await request(`${base}/v1/tasks/${taskId}/complete`, 'POST', this.tenant.apiKey, undefined, this.timeoutMs);
        if (out.kind === 'ok') {
          if (r.seq === 0) taskId = (out.body as { id: string }).id;
          this.commit(r, taskId);
          continue;
        }
        count(this.stats.errors, out.detail.split(' ').slice(0, 2).join(' '));
        if (out.kind === 'refused') {
          this.stats.refused += 1;
          await sleep(300);
          continue;
        }
        if (out.kind === 'rejected') {
          // e.g. 401 while a restarted domain API has not loaded its key cache: not committed.
          await sleep(500);
          continue;
        }
        r.ambiguous += 1;
        (r.unknownOutcomes ??= []).push(out.detail);
        this.stats.ambiguous += 1;
        const found = await this.resolve(r, projectId, taskId);
        if (found !== undefined) {
          if (r.seq === 0) taskId = found;
          this.commit(r, taskId);
        } else if (r.seq === 0) {
          // Not committed — or not yet: reconcile() looks for it once it can no longer commit.
          this.stats.createsResent = (this.stats.createsResent ?? 0) + 1;
          this.lastUnsettledCreateAt = Math.max(this.lastUnsettledCreateAt ?? 0, sentAt);
        } else {
          this.stats.updatesResent = (this.stats.updatesResent ?? 0) + 1;
          settledAt = Math.max(settledAt, sentAt + this.settleMs);
        }
      }
      if (this.stopped) return;
    }
  }

  private commit(r: ChangeRecord, taskId: string | undefined): void {
    r.committedAt = Date.now();
    r.resourceId = taskId;
    this.stats.committed += 1;
  }

  /**
   * The tasks this load created twice: waits until every create sent again after an unknown
   * outcome is `settleMs` old, lists the tasks of the plan's projects, and records each task named
   * `<chain>#0` of a chain of this load that is not the task the chain went on with as a change of
   * its own (`sentTwice`, chain `<chain>~<n>`), added to `changes` and returned (a create whose
   * chain was stopped before it learnt the create had committed is marked committed instead). Run
   * at the end of `run()`; may be run again later (e.g. after the drain): a task is recorded once.
   */
  async reconcile(deadlineMs = 120_000): Promise<ChangeRecord[]> {
    const settledAt = (this.lastUnsettledCreateAt ?? 0) + this.settleMs;
    if (Date.now() < settledAt) await sleep(settledAt - Date.now());
    const creates = new Map(this.changes.filter((c) => c.seq === 0 && !c.sentTwice).map((c) => [c.key, c]));
    const known = new Set(this.changes.flatMap((c) => (c.resourceId ? [c.resourceId] : [])));
    const twice = new Map<string, number>();
    for (const c of this.changes) if (c.sentTwice) twice.set(c.chain.split('~')[0], (twice.get(c.chain.split('~')[0]) ?? 0) + 1);
    const deadline = Date.now() + deadlineMs;
    const found: ChangeRecord[] = [];
    for (const projectId of new Set([...creates.values()].map((c) => c.projectId))) {
      for (const t of await this.listTasks(projectId, deadline)) {
        const create = creates.get(t.name);
        if (!create || known.has(t.id)) continue;
        known.add(t.id);
        if (create.committedAt === undefined) {
          // Its chain stopped (stop()) before it learnt that the create had committed.
          this.commit(create, t.id);
          continue;
        }
        const n = (twice.get(create.chain) ?? 0) + 1;
        twice.set(create.chain, n);
        found.push({ ...create, key: taskName(`${create.chain}~${n}`, 0), chain: `${create.chain}~${n}`, resourceId: t.id, committedAt: Date.now(), attempts: 0, ambiguous: 0, unknownOutcomes: undefined, sentTwice: true });
      }
    }
    this.changes.push(...found);
    this.stats.createdTwice = (this.stats.createdTwice ?? 0) + found.length;
    return found;
  }

  /** Every task of a project (id, name), read until the API answers or `deadline`. */
  private async listTasks(projectId: string, deadline: number): Promise<{ id: string; name: string }[]> {
    const tasks: { id: string; name: string }[] = [];
    let cursor: string | undefined;
    for (;;) {
      const q = `projectId=${projectId}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await request(`${this.domainApi()}/v1/tasks?${q}`, 'GET', this.tenant.apiKey, undefined, this.timeoutMs);
      if (page.kind !== 'ok') {
        if (Date.now() > deadline) throw new Error(`listing the tasks of project ${projectId}: ${page.detail}`);
        await sleep(500);
        continue;
      }
      const body = page.body as { data: { id: string; name: string }[]; page?: { nextCursor?: string | null } };
      tasks.push(...body.data);
      cursor = body.page?.nextCursor ?? undefined;
      if (!cursor) return tasks;
    }
  }

  /** After an unknown outcome: was the change committed? Reads until the API answers. Returns the task id when it was. */
  private async resolve(r: ChangeRecord, projectId: string, taskId: string | undefined): Promise<string | undefined> {
    for (;;) {
      if (this.stopped) return undefined;
      const base = this.domainApi();
      if (r.seq === 0) {
        let cursor: string | undefined;
        let failed = false;
        for (;;) {
          const q = `projectId=${projectId}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
          const page = await request(`${base}/v1/tasks?${q}`, 'GET', this.tenant.apiKey, undefined, this.timeoutMs);
          if (page.kind !== 'ok') {
            failed = true;
            break;
          }
          const body = page.body as { data: { id: string; name: string }[]; page?: { nextCursor?: string | null } };
          const hit = body.data.find((t) => t.name === r.key);
          if (hit) return hit.id;
          cursor = body.page?.nextCursor ?? undefined;
          if (!cursor) return undefined;
        }
        if (failed) {
          await sleep(500);
          continue;
        }
      } else {
        const got = await request(`${base}/v1/tasks/${taskId}`, 'GET', this.tenant.apiKey, undefined, this.timeoutMs);
        if (got.kind !== 'ok') {
          await sleep(500);
          continue;
        }
        const t = got.body as { name: string; completed?: boolean };
        const done = r.action === 'updated' ? t.name === r.key : t.completed === true;
        return done ? taskId : undefined;
      }
    }
  }
}

/**
 * The other half: straight to `herald.resource-changes.v1` through `ResourceChangePublisher`
 * (an idempotent kafkajs producer, acks=all), `ratePerSec` changes in sends of one tick's worth,
 * `activeChains` chains interleaved. A send that fails even after the producer's retries (a
 * broker restart) is sent again with the same event ids; such re-sends are counted, and the
 * duplicates they may cause are the harness's, not Herald's.
 */
export class BusLoad {
  readonly changes: ChangeRecord[] = [];
  readonly stats: LoadStats = { started: 0, committed: 0, requests: 0, ambiguous: 0, refused: 0, errors: {} };
  /** Event ids sent more than once by the harness itself. */
  readonly resent = new Set<string>();
  private stopped = false;
  private producer?: Producer;
  private ratePerSec: number;

  constructor(
    private readonly brokers: () => string,
    private readonly namespace: string | undefined,
    private readonly tenant: Tenant,
    private readonly plan: ChainPlan,
    private readonly opts: {
      ratePerSec: number;
      activeChains: number;
      tickMs?: number;
      prefix?: string;
      /** The share of its changes it may have committed by now (e.g. the other half's progress plus a margin): it waits when ahead. */
      maxShare?: () => number;
    },
  ) {
    this.ratePerSec = opts.ratePerSec;
  }

  setRate(r: number): void {
    this.ratePerSec = r;
  }

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    const kafka = new Kafka({
      clientId: 'herald-chaos-bus',
      brokers: this.brokers().split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.producer = producer;
    await producer.connect();
    const publisher = new ResourceChangePublisher(producer, { producerName: 'herald-chaos', namespace: this.namespace });
    const tickMs = this.opts.tickMs ?? 100;
    const prefix = this.opts.prefix ?? 'b';
    const n = chainLength(this.plan.updates);
    let nextChain = 0;
    const active: { chain: string; projectId: string; resourceId: string; seq: number; state: Record<string, unknown> | null }[] = [];
    let budget = 0;
    let last = Date.now();
    try {
      while (!this.stopped) {
        const now = Date.now();
        budget = Math.min(budget + ((now - last) / 1000) * this.ratePerSec, this.ratePerSec); // at most 1 s of catching up
        last = now;
        const batch: { change: ResourceChange; record: ChangeRecord }[] = [];
        const share = this.stats.committed / (this.plan.chains * n);
        const ahead = this.opts.maxShare !== undefined && share >= this.opts.maxShare();
        while (budget >= 1 && !ahead) {
          while (active.length < this.opts.activeChains && nextChain < this.plan.chains) {
            const i = nextChain++;
            active.push({ chain: `${prefix}${i}`, projectId: this.plan.projects[i % this.plan.projects.length], resourceId: randomUUID(), seq: 0, state: null });
            this.stats.started += 1;
          }
          if (active.length === 0) break;
          // One change per chain per send: a chain's changes are sent (and acknowledged) in order.
          const idx = batch.length % active.length;
          if (batch.length >= active.length) break;
          const c = active[idx];
          const action = actionOf(c.seq, this.plan.updates);
          const name = taskName(c.chain, action === 'completed' ? c.seq - 1 : c.seq);
          const after = { id: c.resourceId, projectId: c.projectId, name, completed: action === 'completed', external: false };
          const change: ResourceChange = {
            eventId: randomUUID(),
            tenantId: this.tenant.tenantId,
            projectId: c.projectId,
            resourceType: 'task',
            resourceId: c.resourceId,
            action,
            occurredAt: new Date().toISOString(),
            initiator: { userId: this.tenant.userId, fullName: 'Chaos Bus', logonAccount: 'bus@chaos.example.test' },
            before: c.state,
            after,
            changedFields: action === 'created' ? [] : action === 'updated' ? ['name'] : ['completed'],
          };
          const record: ChangeRecord = {
            key: taskName(c.chain, c.seq),
            chain: c.chain,
            seq: c.seq,
            source: 'bus',
            action,
            projectId: c.projectId,
            initiatorUserId: this.tenant.userId,
            external: false,
            resourceId: c.resourceId,
            eventId: change.eventId,
            attempts: 0,
            ambiguous: 0,
          };
          batch.push({ change, record });
          budget -= 1;
        }
        if (batch.length > 0) {
          this.changes.push(...batch.map((b) => b.record));
          await this.send(publisher, batch);
          for (const b of batch) {
            const c = active.find((a) => a.chain === b.record.chain);
            if (!c) continue;
            c.state = b.change.after ?? null;
            c.seq += 1;
          }
          for (let i = active.length - 1; i >= 0; i--) if (active[i].seq >= n) active.splice(i, 1);
        }
        if (active.length === 0 && nextChain >= this.plan.chains) break;
        await sleep(tickMs);
      }
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }

  private async send(publisher: ResourceChangePublisher, batch: { change: ResourceChange; record: ChangeRecord }[]): Promise<void> {
    for (;;) {
      for (const b of batch) b.record.attempts += 1;
      this.stats.requests += 1;
      try {
        await publisher.publish(batch.map((b) => b.change));
        const at = Date.now();
        for (const b of batch) {
          b.record.committedAt = at;
          this.stats.committed += 1;
        }
        return;
      } catch (e) {
        count(this.stats.errors, (e as Error).name);
        this.stats.ambiguous += 1;
        for (const b of batch) {
          b.record.ambiguous += 1;
          this.resent.add(b.change.eventId);
        }
        if (this.stopped) return;
        await sleep(1_000);
      }
    }
  }
}
