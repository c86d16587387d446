import { Schemas } from '@herald/platform/db';

/** Where the outbox lives and how the relays find it. */
export const OUTBOX_SCHEMA = Schemas.domain;
export const OUTBOX_TABLE_NAME = 'outbox';
export const OUTBOX_TABLE = `${OUTBOX_SCHEMA}.${OUTBOX_TABLE_NAME}`;
/** Records, per replication slot, whether the rows older than the slot were published (see LogicalReplicationRelay). */
export const OUTBOX_SLOT_STATE_TABLE = `${OUTBOX_SCHEMA}.outbox_relay_slots`;
/** The publication the logical relay streams: inserts into the outbox table, nothing else. */
export const OUTBOX_PUBLICATION = 'herald_outbox';
/** NOTIFY channel the polling relay listens on; an insert trigger fires it at commit. */
export const OUTBOX_NOTIFY_CHANNEL = 'herald_outbox';
export const DEFAULT_OUTBOX_SLOT = 'herald_outbox';
/**
 * One advisory lock for every relay of a database, whatever its kind: two replicas, or a
 * logical and a polling relay during a switch-over, never publish side by side.
 */
export const OUTBOX_RELAY_LOCK_SQL = `hashtext('herald.outbox.relay')`;
