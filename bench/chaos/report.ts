import { cpus } from 'node:os';
import type { ChaosResult } from '@herald/bench/harness';

const pct = (n: number) => `${(n * 100).toFixed(3)}%`;
const s = (ms?: number) => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`);

/** bench/results/chaos.md from one run's result. */
export function chaosMarkdown(r: ChaosResult): string {
  const l = r.ledger;
  const p = r.params;
  const kills = r.faults.filter((f) => f.kind === 'kill');
  const byTarget = new Map<string, number[]>();
  for (const k of kills) byTarget.set(k.target, [...(byTarget.get(k.target) ?? []), k.recoveredAfterMs ?? NaN]);
  const lines = [
    `# Herald chaos run (${r.startedAt}, ${Math.round(r.durationSeconds)} s, loopback)`,
    '',
    `**${r.passed ? 'PASS' : 'FAIL'}**${r.passed ? '' : `: ${r.verdict.join('; ')}`}. Pass: every planned change committed, 0 missing, 0 unexpected arrivals, duplicates ≤ 1%, 0 order violations, every retry tier drained (consumer-group lag 0), every planned fault done.`,
    '',
    `Machine: ${cpus().length} cores, 1-minute load average ${r.loadAverage.start} at start, ${r.loadAverage.max} at most, ${r.loadAverage.end} at end (shared with other work). ` +
      `Its own PostgreSQL and Kafka (restarted during the run); services ${r.servicesFrom === 'build' ? 'compiled (as npm start runs them)' : 'from TypeScript (HERALD_SERVICES_FROM=source)'}; ` +
      `${p.replicas.router} routers and ${p.replicas.dispatcher} dispatchers; ${p.partitionsOverride ?? 'default'} partitions; seed ${p.seed}.`,
    '',
    '## Ledger',
    '',
    '| changes committed (API / bus) | deliveries expected | delivered | duplicates | in DLQ | missing | order violations | every tier drained |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${l.changesCommitted} (${l.changesBySource['api'] ?? 0} / ${l.changesBySource['bus'] ?? 0}) | ${l.deliveriesExpected} | ${l.delivered} | ${l.duplicates} (${pct(l.duplicateRate)}) | ${l.inDlq} | ${l.missing} | ${l.orderViolations} | ${r.tiersDrained ? 'yes' : 'no'} |`,
    '',
    `API requests with an unknown outcome (connection reset, timeout, 5xx), resolved by reading the task back: ${r.api.ambiguous} ` +
      `(creates read back as not committed and sent again: ${r.api.createsResent ?? 0}; of those, committed after all — tasks created twice by the harness, their deliveries expected too: ${l.sentTwiceByHarness ?? 0}); ` +
      `connections refused (retried): ${r.api.refused}. Bus sends that failed and were sent again by the harness: ${r.bus.ambiguous} (${r.bus.resent} events). ` +
      `Event ids no receiver revealed: ${l.unmappedChanges}; inconsistent: ${l.inconsistentIds}. Unexpected arrivals: ${l.unexpected}.`,
    '',
    '| hook | ordered | expected | delivered | duplicates | in DLQ | missing | order violations | failed attempts seen (injected) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...l.hooks.map(
      (h) =>
        `| ${h.hook} | ${h.hook === 'native-ordered' || h.hook === 'procore' ? 'yes' : ''} | ${h.expected} | ${h.delivered} | ${h.duplicates} | ${h.inDlq} | ${h.missing} | ${h.orderViolations} | ${h.failedArrivals} |`,
    ),
    '',
    '## Where the duplicates come from',
    '',
    'From the topics after the run: an event on `herald.resource-changes.v1` more than once was re-published (outbox relay; or the harness re-sending after a failed send); ' +
      'a (subscription, event) on `herald.deliveries.v1` more than once was re-produced by the router; the receivers\' remaining duplicates were re-sent by the dispatcher. ' +
      'Each is tied to the last fault before its second arrival that can make that layer re-do work.',
    '',
    '| layer | duplicates |',
    '| --- | --- |',
    ...Object.entries(r.attribution.byLayer).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '| after | duplicates |',
    '| --- | --- |',
    ...Object.entries(r.attribution.byFault)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `| ${k} | ${v} |`),
    '',
    `Topics (read back, read_committed): resource-changes ${r.topics.resourceChanges} messages of ${r.topics.resourceChangesOffsets} offsets (${r.topics.resourceChangesDuplicated} extra copies), ` +
      `deliveries ${r.topics.deliveries} of ${r.topics.deliveriesOffsets} offsets (${r.topics.deliveriesDuplicated} extra copies), DLQ ${r.topics.dlq}${
      r.topics.dlq ? ` (${Object.entries(r.topics.dlqReasons).map(([k, v]) => `${v}× ${k}`).join('; ')})` : ''
    }.`,
    '',
    '## Faults',
    '',
    `${kills.length} SIGKILLs; ${r.faults.filter((f) => f.kind !== 'kill').length} infrastructure faults. Feed ${Math.round(r.feedSeconds)} s, drain ${Math.round(r.drainSeconds)} s.`,
    '',
    '| instance | kills | ready again after (each) |',
    '| --- | --- | --- |',
    ...[...byTarget.entries()].map(([t, v]) => `| ${t} | ${v.length} | ${v.map((ms) => s(ms)).join(', ')} |`),
    '',
    '| at (s into the run) | fault | back after |',
    '| --- | --- | --- |',
    ...r.faults
      .filter((f) => f.kind !== 'kill')
      .map((f) => `| ${Math.round((f.at - Date.parse(r.startedAt)) / 1000)} | ${f.kind} ${f.target} | ${s(f.recoveredAfterMs)} |`),
    '',
    r.unexpectedExits.length
      ? `Processes that exited by themselves (restarted): ${r.unexpectedExits.map((e) => `${e.name} (${e.signal ?? `code ${e.code}`})`).join(', ')}.`
      : 'No process exited by itself.',
    '',
    '## Consumer groups at the end',
    '',
    '| group | lag | messages the topic held |',
    '| --- | --- | --- |',
    ...r.lags.map((g) => `| ${g.label} | ${g.lag} | ${g.produced} |`),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
