export * from './endpoint-directory';
export * from './dispatch-metrics';
export * from './delivery-engine';
export * from './ordered-pipe-rebuilder';
export * from './lag-monitor';
export * from './dispatcher.service';
export * from './dispatch.module';
