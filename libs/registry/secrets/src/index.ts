export * from './signing-secret';
export * from './subscription-secrets';
