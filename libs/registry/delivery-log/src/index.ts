/** Migrations of the delivery log tables (schema `registry`); filled in as they land. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const DELIVERY_LOG_MIGRATIONS: Function[] = [];
