export * from './entities';
export * from './errors';
export * from './principal';
export * from './commands';
export * from './text';
export * from './api-key-secret';
export * from './tenancy.repository';
export * from './principals/principal-snapshots';
export * from './principals/principal-publisher';
export * from './use-cases/create-tenant';
export * from './use-cases/create-user';
export * from './use-cases/update-user';
export * from './use-cases/create-api-key';
export * from './use-cases/revoke-api-key';
export * from './use-cases/authenticate-api-key';
export { DomainTenancy1764000000100 } from './migrations/1764000000100-tenancy';

import { DomainTenancy1764000000100 } from './migrations/1764000000100-tenancy';
export const TENANCY_MIGRATIONS = [DomainTenancy1764000000100];
