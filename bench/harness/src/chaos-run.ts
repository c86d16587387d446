import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { attributeDuplicates, type Attribution, type FaultEvent } from './attribution';
import { Fleet, servicesFrom } from './fleet';
import { computeLedger, type Ledger } from './ledger';
import { ApiLoad, BusLoad, chainLength, type ChangeRecord } from './load';
import type { OwnInfra } from './own-infra';
import type { Receivers } from './receivers';
import { Stack, awaitDueDeliveries, stopStack, waitUntil, type RunVerdict, type StackOptions } from './stack';
import { auditTopics, groupLags, type GroupLag } from './topic-audit';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A chaos run: the stack it stands on (`StackOptions`), its load, and its faults. */
export interface ChaosParams extends StackOptions {
  /** Total changes, half through the domain API and half on the bus. */
  changes: number;
  /** Renames per task between its creation and completion. */
  updatesPerChain: number;
  /** Changes per second (both halves together). */
  ratePerSec: number;
  apiConcurrency: number;
  /** SIGKILLs per service instance during the feed. */
  killsPerInstance: number;
  /** Broker restarts, in order: 'kill' (SIGKILL) or 'term' (SIGTERM). */
  kafkaRestarts: ('kill' | 'term')[];
  postgresRestarts: number;
  /** The refusing receiver: for how long (0: none). */
  refuseMs: number;
  /** After the feed: how long to wait for every expected delivery and lag 0. */
  drainTimeoutMs: number;
  /** Faults start this long after the feed starts and end this long before it ends. */
  faultMarginMs: number;
  /** Minimum time between two kills of the same instance. */
  minKillSpacingMs: number;
  seed: number;
}

export interface ChaosResult extends RunVerdict {
  params: Omit<ChaosParams, 'log'>;
  servicesFrom: 'build' | 'source';
  startedAt: string;
  durationSeconds: number;
  feedSeconds: number;
  drainSeconds: number;
  loadAverage: { start: number; max: number; end: number; samples: number[] };
  faults: FaultEvent[];
  unexpectedExits: Fleet['unexpectedExits'];
  ledger: Ledger;
  lags: GroupLag[];
  tiersDrained: boolean;
  attribution: Attribution;
  topics: {
    resourceChanges: number;
    resourceChangesOffsets: number;
    resourceChangesDuplicated: number;
    deliveries: number;
    deliveriesOffsets: number;
    deliveriesDuplicated: number;
    dlq: number;
    dlqReasons: Record<string, number>;
    auditSeconds: number;
  };
  api: ApiLoad['stats'];
  bus: BusLoad['stats'] & { resent: number };
}

/** A small deterministic PRNG (mulberry32), so a run's fault schedule can be replayed by its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlannedFault {
  atMs: number;
  kind: FaultEvent['kind'];
  target: string;
}

/**
 * The fault plan: `killsPerInstance` SIGKILLs of every instance at random moments inside the
 * window (at least `minSpacingMs` apart for one instance), the broker and PostgreSQL restarts
 * and the receiver's refusal spread over the window with jitter, never two infrastructure
 * faults within 60 s of each other.
 */
export function planFaults(opts: {
  instances: readonly string[];
  killsPerInstance: number;
  windowStartMs: number;
  windowEndMs: number;
  minSpacingMs: number;
  kafkaRestarts: readonly ('kill' | 'term')[];
  postgresRestarts: number;
  refuser?: string;
  random: () => number;
}): PlannedFault[] {
  const { windowStartMs: a, windowEndMs: b, random } = opts;
  const span = b - a;
  const faults: PlannedFault[] = [];
  for (const target of opts.instances) {
    const k = opts.killsPerInstance;
    if (k === 0) continue;
    // One kill per slot of the window, at a random point in its slot: spread, and spaced.
    const slot = span / k;
    let previous = -Infinity;
    for (let i = 0; i < k; i++) {
      const lo = Math.max(a + i * slot, previous + opts.minSpacingMs);
      const hi = Math.max(lo, a + (i + 1) * slot);
      const at = Math.round(lo + random() * (hi - lo));
      faults.push({ atMs: at, kind: 'kill', target });
      previous = at;
    }
  }
  const infra: { kind: PlannedFault['kind']; target: string }[] = [
    ...opts.kafkaRestarts.map((how) => ({ kind: (how === 'kill' ? 'kafka-kill' : 'kafka-term') as PlannedFault['kind'], target: 'kafka' })),
    ...Array.from({ length: opts.postgresRestarts }, () => ({ kind: 'postgres-restart' as const, target: 'postgres' })),
    ...(opts.refuser ? [{ kind: 'refuse' as const, target: opts.refuser }] : []),
  ];
  // Interleave the kinds (kafka, refuse, postgres, kafka…), each in its own share of the window.
  const order = [...infra].sort((x, y) => rank(x.kind) - rank(y.kind));
  const share = span / Math.max(1, order.length);
  order.forEach((f, i) => {
    const jitter = (random() - 0.5) * Math.max(0, share - 60_000) * 0.8;
    faults.push({ atMs: Math.round(a + share * (i + 0.5) + jitter), kind: f.kind, target: f.target });
  });
  return faults.sort((x, y) => x.atMs - y.atMs);
}

function rank(kind: PlannedFault['kind']): number {
  return { 'kafka-kill': 0, refuse: 1, 'postgres-restart': 2, 'kafka-term': 3, kill: 4 }[kind];
}

/**
 * One chaos run, start to end: its own Kafka (and PostgreSQL), the services as supervised
 * processes (routers and dispatchers in replicas), the receivers, the tenant and its hooks, the
 * two halves of the load, the faults on schedule, the drain, and the ledger. Everything it
 * started is stopped before it resolves (or rejects).
 */
export async function runChaos(p: ChaosParams): Promise<ChaosResult> {
  const t0 = Date.now();
  const log = p.log;
  const loads = { start: loadavg()[0], samples: [] as number[] };
  const loadTimer = setInterval(() => loads.samples.push(Math.round(loadavg()[0] * 100) / 100), 10_000);
  const faults: FaultEvent[] = [];
  let outcome: ChaosResult | undefined;
  let stack: Stack | undefined;
  try {
    stack = await Stack.start(p);
    const infra = stack.infra as OwnInfra;
    const theReceivers = stack.receivers as Receivers;
    const theFleet = stack.fleet as Fleet;
    const fleet = theFleet;
    const { scenario, subscriptionOf, namespace } = stack;

    // The load: half through the domain API, half on the bus.
    const chains = Math.ceil(p.changes / chainLength(p.updatesPerChain));
    const apiChains = Math.ceil(chains / 2);
    const busChains = chains - apiChains;
    const apiLoad = new ApiLoad(() => theFleet.urlOf('domain-api'), scenario.tenant, { chains: apiChains, updates: p.updatesPerChain, projects: scenario.projects }, {
      ratePerSec: p.ratePerSec / 2,
      concurrency: p.apiConcurrency,
    });
    const apiTotal = apiChains * chainLength(p.updatesPerChain);
    const busTotal = busChains * chainLength(p.updatesPerChain);
    const busLoad = new BusLoad(() => infra?.kafkaBrokers ?? '', namespace, scenario.tenant, { chains: busChains, updates: p.updatesPerChain, projects: scenario.projects }, {
      ratePerSec: p.ratePerSec / 2,
      activeChains: Math.max(8, Math.round(p.ratePerSec / 2)),
      // The two halves stay interleaved: the bus does not run ahead of a domain API slowed by the faults.
      maxShare: () => apiLoad.stats.committed / apiTotal + 0.02,
    });
    const feedMs = (p.changes / p.ratePerSec) * 1000;
    const plan = planFaults({
      instances: fleet.names,
      killsPerInstance: p.killsPerInstance,
      windowStartMs: p.faultMarginMs,
      windowEndMs: Math.max(p.faultMarginMs + 1_000, feedMs - p.faultMarginMs),
      minSpacingMs: p.minKillSpacingMs,
      kafkaRestarts: p.kafkaRestarts,
      postgresRestarts: p.ownPostgresPort ? p.postgresRestarts : 0,
      refuser: p.refuseMs > 0 ? scenario.refuser : undefined,
      random: prng(p.seed),
    });
    log(`feeding ${chains * chainLength(p.updatesPerChain)} changes at ${p.ratePerSec}/s (~${Math.round(feedMs / 1000)} s); ${plan.length} faults planned (seed ${p.seed})`);

    const feedStart = Date.now();
    const feeding = Promise.all([apiLoad.run(), busLoad.run()]);
    let feedDone = false;
    void feeding.then(
      () => (feedDone = true),
      () => (feedDone = true),
    );
    const progress = setInterval(() => {
      void theReceivers.counts().then((c) => {
        const got = Object.values(c).reduce((n, x) => n + x.succeeded, 0);
        log(
          `committed api ${apiLoad.stats.committed} bus ${busLoad.stats.committed}; delivered ${got}; faults ${faults.length}/${plan.length}; load ${loadavg()[0].toFixed(2)}`,
        );
      });
    }, 15_000);

    // Faults, on schedule. Kills run in the background (an instance is killed only once it is
    // ready again); infrastructure restarts one at a time.
    const running: Promise<void>[] = [];
    let infraBusy: Promise<void> = Promise.resolve();
    for (const f of plan) {
      // On the feed's progress, not the clock: on a loaded machine the feed runs slower than
      // planned, and the faults must still be spread over it.
      const due = f.atMs / feedMs;
      const progress = () => Math.min(apiLoad.stats.committed / apiTotal, busLoad.stats.committed / busTotal);
      while (progress() < due && !feedDone) await sleep(200);
      if (f.kind === 'kill') {
        while (!theFleet.isReady(f.target)) await sleep(250);
        const event: FaultEvent = { at: Date.now(), kind: 'kill', target: f.target };
        faults.push(event);
        running.push(
          theFleet.kill(f.target).then(
            (r) => {
              event.recoveredAfterMs = r.readyAfterMs;
              log(`killed ${f.target} (pid ${r.pid}); ready again after ${(r.readyAfterMs / 1000).toFixed(1)} s`);
            },
            (e: Error) => log(`kill of ${f.target}: ${e.message}`),
          ),
        );
      } else {
        await infraBusy;
        const event: FaultEvent = { at: Date.now(), kind: f.kind, target: f.target };
        faults.push(event);
        const theInfra = infra;
        infraBusy = (async () => {
          if (f.kind === 'refuse') {
            await theReceivers.refuse(f.target, p.refuseMs);
            event.recoveredAfterMs = p.refuseMs;
            log(`receiver ${f.target} refuses connections for ${p.refuseMs / 1000} s`);
          } else if (f.kind === 'postgres-restart') {
            log('restarting PostgreSQL (fast shutdown)');
            event.recoveredAfterMs = (await theInfra.restartPostgres()).downMs;
            log(`PostgreSQL back after ${(event.recoveredAfterMs / 1000).toFixed(1)} s`);
          } else {
            const how = f.kind === 'kafka-kill' ? 'kill' : 'term';
            log(`restarting the Kafka broker (${how === 'kill' ? 'SIGKILL' : 'SIGTERM'})`);
            event.recoveredAfterMs = (await theInfra.restartKafka(how)).downMs;
            log(`Kafka back after ${(event.recoveredAfterMs / 1000).toFixed(1)} s`);
          }
        })().catch((e: Error) => log(`${f.kind}: ${e.message}`));
      }
    }
    await infraBusy;
    await Promise.all(running);
    await feeding;
    const feedSeconds = (Date.now() - feedStart) / 1000;
    log(
      `feed done in ${feedSeconds.toFixed(0)} s (api: ${apiLoad.stats.committed} committed, ${apiLoad.stats.ambiguous} unknown outcomes resolved, ` +
        `${apiLoad.stats.createsResent ?? 0} creates and ${apiLoad.stats.updatesResent ?? 0} renames sent again, ${apiLoad.stats.createdTwice ?? 0} tasks created twice; api errors ${JSON.stringify(apiLoad.stats.errors)}; bus: ${busLoad.stats.committed})`,
    );
    logSentTwice(apiLoad.changes, apiLoad.changes.filter((c) => c.sentTwice), log);

    // Drain: every expected delivery arrived, and every consumer group has caught up.
    const drainStart = Date.now();
    let changes = [...apiLoad.changes, ...busLoad.changes];
    const kafka = new Kafka({ clientId: 'herald-chaos-drain', brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    let lags: GroupLag[] = [];
    try {
      await awaitDueDeliveries(theReceivers, scenario.hooks, changes, p.drainTimeoutMs, (m) => log(`drain: ${m}`));
      await waitUntil(
        async () => {
          lags = await groupLags(admin, namespace);
          return lags.every((l) => l.lag === 0);
        },
        Math.max(30_000, p.drainTimeoutMs - (Date.now() - drainStart)),
        'every consumer group caught up (lag 0)',
      ).catch((e: Error) => log(`drain: ${e.message}`));
      lags = await groupLags(admin, namespace);
    } finally {
      await admin.disconnect();
    }
    // A task created twice that committed only after the feed's reconcile (past its settle
    // bound): recorded too, its deliveries given a last chance to arrive.
    const late = await apiLoad.reconcile();
    if (late.length) {
      log(`drain: ${late.length} tasks created twice found only after the drain (committed past the settle bound)`);
      logSentTwice(apiLoad.changes, late, log);
      changes = [...apiLoad.changes, ...busLoad.changes];
      await awaitDueDeliveries(theReceivers, scenario.hooks, changes, 60_000, (m) => log(`drain: ${m}`));
    }
    const drainSeconds = (Date.now() - drainStart) / 1000;
    clearInterval(progress);
    log(`drained in ${drainSeconds.toFixed(0)} s; auditing the topics`);

    const dump = await theReceivers.dump(p.stateDir);
    // Kept for a closer look (every arrival, with the faults' times in the result file).
    writeFileSync(path.join(p.stateDir, 'arrivals.json'), JSON.stringify({ ...dump, faults }));
    const audit = await auditTopics(infra.kafkaBrokers, namespace);
    const hookOfSubscription = Object.fromEntries(Object.entries(subscriptionOf).map(([h, s]) => [s, h]));
    const ledger = computeLedger({
      changes,
      hooks: scenario.hooks,
      arrivals: dump.arrivals,
      dlq: audit.dlq.map((d) => ({ hook: hookOfSubscription[d.subscriptionId] ?? d.subscriptionId, eventId: d.eventId })),
      setupResourceIds: scenario.projects,
    });
    const attribution = attributeDuplicates({
      arrivals: dump.arrivals,
      t0: dump.t0,
      subscriptionOf,
      resourceChangeCopies: audit.resourceChanges.copies,
      deliveryCopies: audit.deliveries.copies,
      harnessResent: busLoad.resent,
      faults,
    });
    const dlqReasons: Record<string, number> = {};
    for (const d of audit.dlq) dlqReasons[d.reason.slice(0, 80)] = (dlqReasons[d.reason.slice(0, 80)] ?? 0) + 1;
    const tiersDrained = lags.every((l) => l.lag === 0);
    logLedger(ledger, log);
    const verdict = chaosVerdict({ ledger, planned: { api: apiTotal, bus: busTotal }, lags, faults, plan, instances: fleet.names, killsPerInstance: p.killsPerInstance });
    const result: ChaosResult = {
      params: { ...p, log: undefined } as unknown as ChaosResult['params'],
      servicesFrom: servicesFrom(),
      startedAt: new Date(t0).toISOString(),
      durationSeconds: 0,
      feedSeconds,
      drainSeconds,
      loadAverage: { start: round2(loads.start), max: round2(Math.max(loads.start, loadavg()[0], ...loads.samples)), end: round2(loadavg()[0]), samples: loads.samples },
      faults,
      unexpectedExits: fleet.unexpectedExits,
      ledger,
      lags,
      tiersDrained,
      attribution,
      topics: {
        resourceChanges: audit.resourceChanges.messages,
        resourceChangesOffsets: audit.resourceChanges.offsets,
        resourceChangesDuplicated: [...audit.resourceChanges.copies.values()].reduce((n, c) => n + c - 1, 0),
        deliveries: audit.deliveries.messages,
        deliveriesOffsets: audit.deliveries.offsets,
        deliveriesDuplicated: [...audit.deliveries.copies.values()].reduce((n, c) => n + c - 1, 0),
        dlq: audit.dlq.length,
        dlqReasons,
        auditSeconds: audit.seconds,
      },
      api: apiLoad.stats,
      bus: { ...busLoad.stats, resent: busLoad.resent.size },
      passed: verdict.length === 0,
      verdict,
      leftBehind: [],
    };
    delete (result.params as { log?: unknown }).log;
    result.durationSeconds = (Date.now() - t0) / 1000;
    outcome = result;
    return result;
  } finally {
    clearInterval(loadTimer);
    await stopStack(stack, log, outcome);
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Why a chaos run failed (empty: it passed): everything the short run's e2e spec asserts of the
 * ledger, the drain and the faults, and the duplicate budget (at most 1%), so that `passed` is
 * false — and the run's log printed — whenever one of the spec's assertions fails.
 */
export function chaosVerdict(r: {
  ledger: Ledger;
  /** The planned changes of each half. */
  planned: { api: number; bus: number };
  lags: readonly GroupLag[];
  faults: readonly FaultEvent[];
  plan: readonly PlannedFault[];
  instances: readonly string[];
  killsPerInstance: number;
}): string[] {
  const { ledger } = r;
  const verdict: string[] = [];
  const planned = r.planned.api + r.planned.bus;
  const bySource = ledger.changesBySource;
  if (ledger.changesCommitted !== planned || (bySource['api'] ?? 0) !== r.planned.api || (bySource['bus'] ?? 0) !== r.planned.bus) {
    verdict.push(`${ledger.changesCommitted} of ${planned} changes committed (api ${bySource['api'] ?? 0}/${r.planned.api}, bus ${bySource['bus'] ?? 0}/${r.planned.bus})`);
  }
  if (ledger.missing !== 0) verdict.push(`${ledger.missing} deliveries missing`);
  if (ledger.delivered + ledger.inDlq !== ledger.deliveriesExpected) verdict.push(`${ledger.delivered} delivered + ${ledger.inDlq} in the DLQ of ${ledger.deliveriesExpected} expected`);
  if (ledger.unexpected !== 0) {
    const at = ledger.hooks.filter((h) => h.unexpected > 0).map((h) => `${h.hook} ${h.unexpected}`);
    verdict.push(`${ledger.unexpected} unexpected arrivals (${at.join(', ')})`);
  }
  if (ledger.duplicateRate > 0.01) verdict.push(`duplicates ${(ledger.duplicateRate * 100).toFixed(2)}% > 1%`);
  if (ledger.orderViolations !== 0) verdict.push(`${ledger.orderViolations} order violations`);
  const lagging = r.lags.filter((l) => l.lag !== 0);
  if (lagging.length) verdict.push(`not drained: ${lagging.map((l) => `${l.label} lag ${l.lag}`).join(', ')}`);
  if (ledger.inconsistentIds !== 0) verdict.push(`${ledger.inconsistentIds} inconsistent event ids`);
  const kills = r.faults.filter((f) => f.kind === 'kill');
  for (const name of r.instances) {
    const n = kills.filter((k) => k.target === name).length;
    if (n !== r.killsPerInstance) verdict.push(`${name} killed ${n} times, not ${r.killsPerInstance}`);
  }
  for (const kind of new Set(r.plan.filter((f) => f.kind !== 'kill').map((f) => f.kind))) {
    const due = r.plan.filter((f) => f.kind === kind).length;
    const done = r.faults.filter((f) => f.kind === kind).length;
    if (done !== due) verdict.push(`${kind}: ${done} of ${due} planned`);
  }
  return verdict;
}

/** The ledger's totals, and what is unexpected where (ids and tags): the run's log says what failed. */
function logLedger(l: Ledger, log: (msg: string) => void): void {
  log(
    `ledger: ${l.changesCommitted} changes committed ${JSON.stringify(l.changesBySource)}, ${l.sentTwiceByHarness} tasks created twice by the harness; ` +
      `deliveries expected ${l.deliveriesExpected}, delivered ${l.delivered}, in the DLQ ${l.inDlq}, missing ${l.missing}, duplicates ${l.duplicates}, ` +
      `unexpected ${l.unexpected} (and ${l.setupArrivals} of the set-up's projects' own events), ids unmapped ${l.unmappedChanges}, inconsistent ${l.inconsistentIds}`,
  );
  for (const h of l.hooks) {
    if (h.unexpected > 0) log(`unexpected at ${h.hook}: ${h.unexpected} (${h.unexpectedSample.join('; ')})`);
    if (h.missing > 0) log(`missing at ${h.hook}: ${h.missing} (${h.missingSample.join(', ')})`);
  }
}

/** Each task the harness created twice: its change key, the two tasks, and what the create it sent again had met. */
function logSentTwice(changes: readonly ChangeRecord[], twice: readonly ChangeRecord[], log: (msg: string) => void): void {
  const creates = new Map(changes.filter((c) => c.seq === 0 && !c.sentTwice).map((c) => [c.chain, c]));
  for (const c of twice) {
    const first = creates.get(c.chain.split('~')[0]);
    log(
      `created twice by the harness: ${first?.key ?? c.chain} as task ${c.resourceId} and ${first?.resourceId ?? '?'} ` +
        `(unknown outcomes of its create: ${(first?.unknownOutcomes ?? []).join(', ') || 'none'})`,
    );
  }
}

