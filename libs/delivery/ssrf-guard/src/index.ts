export * from './address-policy';
export * from './ssrf-guard';
