export * from './retry-plan';
export * from './partition-ledger';
export * from './tracked-consumer';
export * from './retry-tier-consumer';
export * from './tier-timing';
export * from './co-partitioned-assigner';
