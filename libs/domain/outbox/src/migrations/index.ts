import { CreateOutbox1764000000000 } from './1764000000000-create-outbox';

/** The outbox's migrations, for the domain-api's migration list (schema `domain`). */
export const OUTBOX_MIGRATIONS = [CreateOutbox1764000000000];
export { CreateOutbox1764000000000 };
