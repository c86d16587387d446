import { Injectable } from '@nestjs/common';
import { isKnownEventType } from '@herald/contracts';
import { coreEventTypesOf, parseTrigger, parseTriggerId, procoreOptionsOf, triggerIdOf, type ParsedTrigger, type TriggerView } from '@herald/dialects/procore';
import type { AuthenticatedPrincipal } from '@herald/registry/principals';
import { UpdateSubscription, retryOnVersionConflict, type SubscriptionView } from '@herald/registry/subscriptions';
import { ProcoreHttpError } from './procore-errors';
import { ProcoreHooks, triggersOf, type ProcoreScope } from './procore-hooks';

export type RequestedTrigger = { resource_name: string; event_type: string };

export interface TriggerResult {
  hook: SubscriptionView;
  created: TriggerView[];
  failed: { trigger: RequestedTrigger; errors: Record<string, string[]> }[];
}

/**
 * A Procore hook's triggers. They are kept in the subscription's formatOptions and decide its
 * event types, so a change reads the hook, changes the list and writes it back whole, on the
 * condition that the hook is still at the version it read (checked in the UPDATE); when another
 * change got there first — on this replica or another — it reads and applies its change again
 * (`retryOnVersionConflict`), so concurrent calls lose nothing, at any number of replicas.
 */
@Injectable()
export class ProcoreTriggers {
  constructor(
    private readonly hooks: ProcoreHooks,
    private readonly updateSubscription: UpdateSubscription,
  ) {}

  /** Adds triggers (one that exists already is returned as it is); the others fail one by one. */
  add(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, requested: RequestedTrigger[]): Promise<TriggerResult> {
    return retryOnVersionConflict(async () => {
      const s = await this.hooks.get(p, scope, hookId);
      const failed: TriggerResult['failed'] = [];
      const wanted: ParsedTrigger[] = [];
      for (const t of requested) {
        const parsed = parseTrigger(t);
        if ('errors' in parsed) failed.push({ trigger: t, errors: parsed.errors });
        else wanted.push(parsed);
      }
      const current = triggersOf(s);
      const next = [...current];
      for (const w of wanted) {
        if (!next.some((t) => t.resource === w.resource && t.eventType === w.eventType)) next.push({ id: triggerIdOf(s.externalId, w.resource, w.eventType), ...w });
      }
      const hook = next.length === current.length ? s : await this.save(p, s, next);
      const created = wanted.map((w) => ({ id: triggerIdOf(s.externalId, w.resource, w.eventType), ...w }));
      return { hook, created, failed };
    });
  }

  /** Adds one trigger, or refuses it with Procore's validation error naming what is wrong with it. */
  async addOne(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, requested: RequestedTrigger): Promise<{ hook: SubscriptionView; trigger: TriggerView }> {
    const r = await this.add(p, scope, hookId, [requested]);
    if (r.failed.length) throw ProcoreHttpError.validation(r.failed[0].errors);
    return { hook: r.hook, trigger: r.created[0] };
  }

  /** Removes triggers by id; ids that are not this hook's fail. */
  remove(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, ids: number[]): Promise<{ succeeded: number[]; failed: number[] }> {
    return retryOnVersionConflict(async () => {
      const s = await this.hooks.get(p, scope, hookId);
      const current = triggersOf(s);
      const succeeded: number[] = [];
      const failed: number[] = [];
      for (const id of ids) {
        const parsed = parseTriggerId(id);
        if (parsed && parsed.hookId === s.externalId && current.some((t) => t.id === id)) succeeded.push(id);
        else failed.push(id);
      }
      if (succeeded.length) await this.save(p, s, current.filter((t) => !succeeded.includes(t.id)));
      return { succeeded, failed };
    });
  }

  /** Removes one trigger by the id in the path; an id that is not this hook's is a 404. */
  async removeOne(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, id: string): Promise<void> {
    const r = await this.remove(p, scope, hookId, [/^\d{1,18}$/.test(id) ? Number(id) : -1]);
    if (r.failed.length) throw ProcoreHttpError.notFound(`Trigger ${id}`);
  }

  private save(p: AuthenticatedPrincipal, s: SubscriptionView, triggers: TriggerView[]): Promise<SubscriptionView> {
    const eventTypes = [...new Set(triggers.flatMap((t) => coreEventTypesOf(t.resource, t.eventType, isKnownEventType)))];
    const options = procoreOptionsOf(s.formatOptions);
    options.triggers = triggers.map((t) => ({ resource_type: t.resource.resourceType, event_type: t.eventType }));
    return this.updateSubscription.execute({
      tenantId: p.tenantId,
      subscription: { id: s.id },
      patch: { eventTypes: eventTypes.length ? eventTypes : ['*'], formatOptions: { ...s.formatOptions, ...options } },
      expectedVersion: s.version,
    });
  }
}
