import { Injectable, Logger } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { DeliveryOutcome } from '@herald/contracts';
import { MetricsRegistry } from '@herald/platform/observability';
import {
  ApplyHealthTransition,
  SubscriptionEntity,
  type HealthTransition as StoredTransition,
} from '@herald/registry/subscriptions';
import { healthTransition, type HealthTransition, type HookHealthState } from './health-policy';

export interface ApplyOutcomesToHookHealthCommand {
  /** Newly logged attempts (never a duplicate), any hooks, any order. */
  attempts: readonly DeliveryOutcome[];
}

export interface ApplyOutcomesToHookHealthResult {
  /** Hooks whose status or failure count changed (or that were deleted). */
  changed: number;
}

// Per consumer batch (two run at once): 2 log transactions + 2 × 3 = 8 connections at most, under the pool of 10.
const APPLY_CONCURRENCY = 3;

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** How long "this hook was active with no failures" is trusted without reading it again. */
const HEALTHY_TTL_MS = 30_000;

/**
 * Drives hook health from delivery attempts: folds each hook's new attempts with its failure
 * policy (`healthTransition`) and hands the result to the subscriptions lib's
 * `ApplyHealthTransition`, which writes the subscription and publishes its new snapshot (so the
 * dispatcher discards the hook's pending deliveries once it is off).
 *
 * The steady state is successes on healthy hooks, which change nothing: a hook last seen active
 * with no failures is remembered for a while, and such batches cost no query at all.
 */
@Injectable()
export class ApplyOutcomesToHookHealth {
  private readonly logger = new Logger(ApplyOutcomesToHookHealth.name);
  private readonly healthySince = new Map<string, number>();
  private readonly transitions;

  constructor(
    private readonly ds: DataSource,
    private readonly apply: ApplyHealthTransition,
    metrics: MetricsRegistry,
  ) {
    this.transitions = metrics.counter({
      name: 'herald_hook_health_transitions_total',
      help: 'Hook health changes driven by delivery outcomes, by the status they led to',
      labelNames: ['to'],
    });
  }

  async execute(cmd: ApplyOutcomesToHookHealthCommand): Promise<ApplyOutcomesToHookHealthResult> {
    const byHook = new Map<
      string,
      { tenantId: string; subscriptionId: string; attempts: DeliveryOutcome[] }
    >();
    for (const o of cmd.attempts) {
      const key = `${o.tenantId}\u0000${o.subscriptionId}`;
      const entry = byHook.get(key) ?? {
        tenantId: o.tenantId,
        subscriptionId: o.subscriptionId,
        attempts: [],
      };
      entry.attempts.push(o);
      byHook.set(key, entry);
    }
    const now = Date.now();
    const toRead = [...byHook.values()].filter((h) => {
      if (h.attempts.some((a) => a.status !== 'delivered')) return true;
      const since = this.healthySince.get(h.subscriptionId);
      return since === undefined || now - since > HEALTHY_TTL_MS;
    });
    const states = await this.statesOf(toRead);
    let changed = 0;
    const decided: {
      hook: (typeof toRead)[number];
      state: HookHealthState;
      t: Exclude<HealthTransition, { kind: 'none' }>;
    }[] = [];
    for (const hook of toRead) {
      const state = states.get(`${hook.tenantId}\u0000${hook.subscriptionId}`);
      if (!state) {
        this.healthySince.delete(hook.subscriptionId);
        continue; // deleted: its late outcomes change nothing
      }
      const t = healthTransition(state, sortedAttempts(hook.attempts));
      const after = t.kind === 'set' ? t : t.kind === 'none' ? state : null;
      if (after && after.status === 'active' && after.consecutiveFailures === 0)
        this.healthySince.set(hook.subscriptionId, now);
      else this.healthySince.delete(hook.subscriptionId);
      if (t.kind !== 'none') decided.push({ hook, state, t });
    }
    // Each hook is its own transaction (and snapshot); a few at a time when many hooks fail at once.
    await inParallel(decided, APPLY_CONCURRENCY, async (first) => {
      let { state, t } = first;
      const { hook } = first;
      let result = await this.apply.execute({ tenantId: hook.tenantId, subscriptionId: hook.subscriptionId, transition: stored(t), decidedFrom: state });
      // The hook changed since it was read (a user's enable, another replica): decide again from what it is now.
      for (let again = 0; result === 'stale' && again < 5; again++) {
        this.healthySince.delete(hook.subscriptionId);
        const current = (await this.statesOf([hook])).get(`${hook.tenantId}\u0000${hook.subscriptionId}`);
        if (!current) return;
        const next = healthTransition(current, sortedAttempts(hook.attempts));
        if (next.kind === 'none') return;
        [state, t] = [current, next];
        result = await this.apply.execute({ tenantId: hook.tenantId, subscriptionId: hook.subscriptionId, transition: stored(t), decidedFrom: state });
      }
      if (result !== 'updated' && result !== 'deleted') return;
      changed += 1;
      const to =
        t.kind === 'set'
          ? t.status
          : t.kind === 'unsubscribe' && t.action === 'delete'
            ? 'deleted'
            : 'auto-disabled';
      if (t.kind !== 'set' || t.status !== state.status) {
        this.transitions.inc({ to });
        this.logger.log(`hook ${hook.subscriptionId}: ${state.status} -> ${to} (${t.reason})`);
      }
    });
    if (this.healthySince.size > 100_000) this.healthySince.clear();
    return { changed };
  }

  /** The hooks' current health, one query per tenant (read-only; writes go through ApplyHealthTransition). */
  private async statesOf(
    hooks: readonly { tenantId: string; subscriptionId: string }[],
  ): Promise<Map<string, HookHealthState>> {
    const out = new Map<string, HookHealthState>();
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    const byTenant = new Map<string, string[]>();
    for (const h of hooks) {
      if (!uuid.test(h.subscriptionId)) continue;
      const ids = byTenant.get(h.tenantId) ?? [];
      ids.push(h.subscriptionId);
      byTenant.set(h.tenantId, ids);
    }
    for (const [tenantId, all] of byTenant)
      for (let i = 0; i < all.length; i += 5_000) {
        const ids = all.slice(i, i + 5_000);
        const rows = await this.ds.manager.find(SubscriptionEntity, {
          select: {
            id: true,
            tenantId: true,
            status: true,
            consecutiveFailures: true,
            failurePolicy: true,
          },
          where: { tenantId, id: In(ids) },
        });
        for (const r of rows) {
          out.set(`${r.tenantId}\u0000${r.id}`, {
            status: r.status,
            consecutiveFailures: r.consecutiveFailures,
            failurePolicy: r.failurePolicy,
          });
        }
      }
    return out;
  }
}

/** Attempts in the order they were made. */
function sortedAttempts(attempts: readonly DeliveryOutcome[]): DeliveryOutcome[] {
  return [...attempts].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.attempt - b.attempt);
}

/** The policy's decision in the subscriptions lib's terms. */
export function stored(t: Exclude<HealthTransition, { kind: 'none' }>): StoredTransition {
  switch (t.kind) {
    case 'set':
      return {
        kind: 'update',
        consecutiveFailures: t.consecutiveFailures,
        status: t.status,
        reason: t.reason,
      };
    case 'auto-disable':
      return {
        kind: 'update',
        consecutiveFailures: t.consecutiveFailures,
        status: 'auto-disabled',
        reason: t.reason,
      };
    case 'unsubscribe':
      return t.action === 'delete'
        ? { kind: 'delete', reason: t.reason }
        : {
            kind: 'update',
            consecutiveFailures: t.consecutiveFailures,
            status: 'auto-disabled',
            reason: t.reason,
          };
  }
}
