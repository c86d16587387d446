export * from './health-policy';
export * from './apply-outcomes-to-hook-health';
export * from './hook-status-gauge';
