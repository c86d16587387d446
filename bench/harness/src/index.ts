// The chaos and soak harness: the services as supervised processes over a Kafka (and PostgreSQL)
// of their own, per-dialect receivers, two halves of load (domain API, bus), faults on schedule,
// and a ledger computed from what the receivers saw.
export { Fleet, APPS, ROOT, runArgs, servicesFrom, type App, type InstanceSpec, type FleetOptions } from './fleet';
export { OwnInfra, type OwnInfraOptions } from './own-infra';
export { Receivers, type ReceiverDump } from './receivers';
export type { Arrival, ReceiverSpec, ReceiverContract } from './receiver-types';
export { setUpScenario, hookDefs, createTenant, call, type Scenario, type HookDef, type Tenant, type ChangeFacts } from './scenario';
export { ApiLoad, BusLoad, Pace, chainLength, taskName, type ChangeRecord, type ChainPlan, type LoadStats } from './load';
export { computeLedger, deliveriesDue, keyOfTag, type Ledger, type HookLedger, type LedgerHook } from './ledger';
export { attributeDuplicates, type Attribution, type FaultEvent, type Layer } from './attribution';
export { auditTopics, groupLags, committedGroups, type TopicAudit, type GroupLag } from './topic-audit';
export { runChaos, chaosVerdict, planFaults, prng, type ChaosParams, type ChaosResult, type PlannedFault } from './chaos-run';
export { Stack, awaitDueDeliveries, stopStack, waitUntil, metric, type RunVerdict, type StackOptions } from './stack';
export { BENCH_RESULTS_DIR, envNumber } from './env';
export { ServiceSampler, rssMbOf, metricSum, median, percentile, slope, type ServiceSample } from './sampler';
