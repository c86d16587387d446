import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import type { SubscriptionStatus } from '@herald/contracts';
import { SubscriptionRepository } from '../persistence/subscription.repository';
import { SnapshotPublisher } from '../publishing/snapshot-publisher';
import { recordOperationalEvent } from '../operational/operational-events.outbox';
import { bumped, resealed } from './support';

export type HealthTransition =
  /** Set the failure count and, when given, the status (with its reason). */
  | { kind: 'update'; consecutiveFailures: number; status?: SubscriptionStatus; reason?: string }
  /** The failure policy ends the subscription (unsubscribe status, or delete at the threshold). */
  | { kind: 'delete'; reason: string };

export interface ApplyHealthTransitionCommand {
  tenantId: string;
  subscriptionId: string;
  transition: HealthTransition;
  /**
   * The health the transition was decided from (read before, outside any lock). When the row no
   * longer has it — another replica's outcomes, a user's enable or disable in between — an
   * update is not applied ('stale'): the caller decides again from what is there now.
   */
  decidedFrom?: { status: SubscriptionStatus; consecutiveFailures: number };
}

export type HealthTransitionResult = 'updated' | 'unchanged' | 'deleted' | 'not-found' | 'ignored' | 'stale';

/** Statuses only a user leaves (EnableSubscription): an outcome never turns a hook back on. */
const OFF: ReadonlySet<SubscriptionStatus> = new Set(['disabled', 'auto-disabled']);

/**
 * Applies what the hook-health consumer decided from delivery outcomes. A status change is a
 * new version (a new snapshot, so the router and dispatcher act on it); a failure count alone is
 * not part of the snapshot and does not make one. A late success never re-enables a hook that
 * is off, and a hook already gone is reported, not an error (outcomes arrive after deletes).
 */
@Injectable()
export class ApplyHealthTransition {
  constructor(
    private readonly ds: DataSource,
    private readonly publisher: SnapshotPublisher,
    private readonly secrets: SubscriptionSecrets,
  ) {}

  async execute(c: ApplyHealthTransitionCommand): Promise<HealthTransitionResult> {
    // A new version or a tombstone is due to the topic; a failure count alone is not: then there
    // is nothing to publish, and no publish scan runs (a failing hook updates its count on every
    // batch of outcomes — one write each, not three transactions).
    let snapshotDue = false;
    const result = await this.ds.transaction(async (m): Promise<HealthTransitionResult> => {
      const repo = new SubscriptionRepository(m);
      const s = await repo.find(c.tenantId, { id: c.subscriptionId }, true);
      if (!s) return 'not-found';
      const now = new Date();
      const t = c.transition;
      if (t.kind === 'delete') {
        await repo.delete(c.tenantId, s.id, now);
        snapshotDue = true;
        return 'deleted';
      }
      const from = c.decidedFrom;
      if (from && (from.status !== s.status || from.consecutiveFailures !== s.consecutiveFailures)) return 'stale';
      const wouldTurnOn = t.status !== undefined && OFF.has(s.status) && !OFF.has(t.status);
      const statusChange = t.status !== undefined && t.status !== s.status && !wouldTurnOn;
      if (!statusChange && t.consecutiveFailures === s.consecutiveFailures) return wouldTurnOn ? 'ignored' : 'unchanged';
      s.consecutiveFailures = t.consecutiveFailures;
      const before = s.status;
      const read = s.version;
      if (statusChange) {
        Object.assign(s, { status: t.status, statusReason: t.reason ?? null, statusChangedAt: now });
        resealed(bumped(s, now), this.secrets);
      }
      await repo.save(c.tenantId, s, read);
      if (statusChange) await recordOperationalEvent(m, before, s, now);
      snapshotDue = statusChange;
      return 'updated';
    });
    if (snapshotDue) await this.publisher.publishAfterCommit();
    return result;
  }
}
