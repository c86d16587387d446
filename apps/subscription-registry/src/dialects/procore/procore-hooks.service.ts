import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { isKnownEventType, type DeliveryStatus } from '@herald/contracts';
import {
  DELIVERY_STATUS_FILTERS,
  PROCORE_DEFAULT_POLICY,
  PROCORE_RESOURCES,
  companyIdOf,
  coreEventTypesOf,
  maskAuthorization,
  parseEventType,
  parseTrigger,
  parseTriggerId,
  payloadFormatOf,
  procoreError,
  procoreOptionsOf,
  resourceByName,
  resourceByType,
  triggerIdOf,
  type DeliverySource,
  type HookFields,
  type ParsedTrigger,
  type PayloadVersion,
  type ProcoreFormatOptions,
  type TriggerView,
} from '@herald/dialects/procore';
import type { AuthenticatedPrincipal } from '@herald/registry/principals';
import { GetDelivery, SearchDeliveries, type DeliverySearchFilter } from '@herald/registry/delivery-log';
import {
  CreateSubscription,
  DeleteSubscription,
  DisableSubscription,
  EnableSubscription,
  GetSubscription,
  ListSubscriptions,
  UpdateSubscription,
  type SubscriptionView,
} from '@herald/registry/subscriptions';
import { ProcoreHttpError, zodErrors } from './procore-errors';

export const DIALECT = 'procore';

/** Where a request acts: the company (the tenant) or one of its projects. */
export type ProcoreScope =
  | { kind: 'company'; companyId: number }
  | { kind: 'project'; projectId: string; companyId?: number; template?: boolean };

/** Parses with a zod schema or throws Procore's 400. */
export function parseBody<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw zodErrors(r.error);
  return r.data;
}

export interface TriggerResult {
  created: TriggerView[];
  failed: { trigger: { resource_name: string; event_type: string }; errors: Record<string, string[]> }[];
}

export interface DeliveryQuery {
  statuses?: string;
  resourceName?: string;
  eventType?: string;
  start?: string;
  end?: string;
  page: number;
  perPage: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Procore's Webhooks API over the subscription core: a hook is a subscription (dialect
 * `procore`, its integer id the subscription's external id), its triggers live in the
 * subscription's formatOptions and decide its event types, deliveries are the core delivery log.
 * The v1.0 and v2.0 controllers both call this; they differ only in shapes.
 */
@Injectable()
export class ProcoreHooks {
  constructor(
    private readonly createSubscription: CreateSubscription,
    private readonly updateSubscription: UpdateSubscription,
    private readonly deleteSubscription: DeleteSubscription,
    private readonly enableSubscription: EnableSubscription,
    private readonly disableSubscription: DisableSubscription,
    private readonly listSubscriptions: ListSubscriptions,
    private readonly getSubscription: GetSubscription,
    private readonly searchDeliveries: SearchDeliveries,
    private readonly getDelivery: GetDelivery,
  ) {}

  /** The scope of a request: company_id must be the caller's company; project_id wins when both are given. */
  scopeOf(p: AuthenticatedPrincipal, companyId: number | undefined, projectId: string | undefined, templateId?: string): ProcoreScope {
    if (companyId !== undefined && companyId !== companyIdOf(p.tenantId)) {
      throw new ProcoreHttpError(403, procoreError('forbidden', `you have no access to company ${companyId}`));
    }
    // A template's hooks are project-level hooks of the template (the template id as project id).
    if (templateId !== undefined) return { kind: 'project', projectId: templateId, companyId, template: true };
    if (projectId !== undefined) return { kind: 'project', projectId, companyId };
    if (companyId !== undefined) return { kind: 'company', companyId };
    throw ProcoreHttpError.validation({ base: ['You must supply either a company_id or project_id'] });
  }

  async create(p: AuthenticatedPrincipal, scope: ProcoreScope, hook: HookFields): Promise<SubscriptionView> {
    const errors: Record<string, string[]> = {};
    if (!hook.destination_url) errors['destination_url'] = ["can't be blank"];
    if (hook.api_version && hook.payload_version && hook.api_version !== hook.payload_version) {
      errors['payload_version'] = ['api_version and payload_version disagree'];
    }
    if (Object.keys(errors).length) throw ProcoreHttpError.validation(errors);
    const version: PayloadVersion = hook.payload_version ?? hook.api_version ?? 'v2.0';
    const authorization = hook.destination_headers?.Authorization ?? null;
    const formatOptions: ProcoreFormatOptions = {
      namespace: hook.namespace ?? 'procore',
      triggers: [],
      authorizationHint: authorization ? maskAuthorization(authorization) : null,
    };
    const created = await this.createSubscription.execute({
      tenantId: p.tenantId,
      ownerUserId: p.userId,
      dialect: DIALECT,
      dialectDefaults: PROCORE_DEFAULT_POLICY,
      settings: {
        url: hook.destination_url,
        // No trigger yet: "*" with no trigger renders nothing (see ProcorePayloadRenderer).
        eventTypes: ['*'],
        scope: scope.kind === 'project' ? { kind: 'project', projectId: scope.projectId } : { kind: 'tenant' },
        payloadFormat: payloadFormatOf(version),
        formatOptions,
        authorization,
        templateId: scope.kind === 'project' && scope.template ? scope.projectId : null,
      },
      initialStatus: hook.status === 'disabled' ? 'disabled' : 'active',
    });
    return created.subscription;
  }

  async list(p: AuthenticatedPrincipal, scope: ProcoreScope, filter: { namespace?: string; version?: PayloadVersion }): Promise<SubscriptionView[]> {
    const out: SubscriptionView[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.listSubscriptions.execute({ tenantId: p.tenantId, dialect: DIALECT, limit: 200, cursor });
      out.push(...page.items.filter((s) => inScope(s, scope)));
      cursor = page.nextCursor;
    } while (cursor);
    return out.filter(
      (s) =>
        (!filter.namespace || procoreOptionsOf(s.formatOptions).namespace === filter.namespace) &&
        (!filter.version || s.payloadFormat === payloadFormatOf(filter.version)),
    );
  }

  async get(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string): Promise<SubscriptionView> {
    const id = Number(hookId);
    const s = /^\d{1,15}$/.test(hookId)
      ? await this.getSubscription.execute({ tenantId: p.tenantId, subscription: { externalId: id, dialect: DIALECT } }).catch(() => null)
      : null;
    if (!s || !inScope(s, scope)) throw ProcoreHttpError.notFound(`Hook ${hookId}`);
    return s;
  }

  async update(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, hook: HookFields): Promise<SubscriptionView> {
    let s = await this.get(p, scope, hookId);
    const requested = hook.payload_version ?? hook.api_version;
    const patch: Record<string, unknown> = {};
    if (requested) patch['payloadFormat'] = payloadFormatOf(requested);
    if (hook.destination_url !== undefined) patch['url'] = hook.destination_url;
    const options = procoreOptionsOf(s.formatOptions);
    let optionsChanged = false;
    if (hook.namespace !== undefined) {
      options.namespace = hook.namespace;
      optionsChanged = true;
    }
    if (hook.destination_headers && 'Authorization' in hook.destination_headers) {
      const authorization = hook.destination_headers.Authorization ?? null;
      patch['authorization'] = authorization;
      options.authorizationHint = authorization ? maskAuthorization(authorization) : null;
      optionsChanged = true;
    }
    if (optionsChanged) patch['formatOptions'] = { ...s.formatOptions, ...options };
    if (Object.keys(patch).length) s = await this.updateSubscription.execute({ tenantId: p.tenantId, subscription: { id: s.id }, patch });
    if (hook.status === 'disabled' && s.status !== 'disabled') {
      s = await this.disableSubscription.execute({ tenantId: p.tenantId, subscription: { id: s.id }, reason: 'disabled through the Procore API' });
    } else if (hook.status === 'active' && (s.status === 'disabled' || s.status === 'auto-disabled')) {
      s = await this.enableSubscription.execute({ tenantId: p.tenantId, subscription: { id: s.id } });
    }
    return s;
  }

  async remove(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string): Promise<void> {
    const s = await this.get(p, scope, hookId);
    await this.deleteSubscription.execute({ tenantId: p.tenantId, subscription: { id: s.id } });
  }

  triggersOf(s: SubscriptionView): TriggerView[] {
    return procoreOptionsOf(s.formatOptions).triggers.flatMap((t) => {
      const resource = resourceByType(t.resource_type);
      const eventType = parseEventType(t.event_type);
      return resource && eventType ? [{ id: triggerIdOf(s.externalId, resource, eventType), resource, eventType }] : [];
    });
  }

  /**
   * A hook's triggers are read, changed and written back whole (formatOptions): changes to one
   * hook's triggers run one at a time in this process so that concurrent calls lose nothing.
   */
  private readonly triggerLocks = new Map<string, Promise<unknown>>();

  private serially<T>(p: AuthenticatedPrincipal, hookId: string, work: () => Promise<T>): Promise<T> {
    const key = `${p.tenantId}:${hookId}`;
    const run = (this.triggerLocks.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.triggerLocks.set(key, run);
    void run.finally(() => this.triggerLocks.get(key) === run && this.triggerLocks.delete(key)).catch(() => undefined);
    return run;
  }

  /** Adds triggers (one that exists already is returned as it is); the others fail one by one. */
  addTriggers(
    p: AuthenticatedPrincipal,
    scope: ProcoreScope,
    hookId: string,
    requested: { resource_name: string; event_type: string }[],
  ): Promise<{ hook: SubscriptionView } & TriggerResult> {
    return this.serially(p, hookId, () => this.addTriggersNow(p, scope, hookId, requested));
  }

  private async addTriggersNow(
    p: AuthenticatedPrincipal,
    scope: ProcoreScope,
    hookId: string,
    requested: { resource_name: string; event_type: string }[],
  ): Promise<{ hook: SubscriptionView } & TriggerResult> {
    const s = await this.get(p, scope, hookId);
    const failed: TriggerResult['failed'] = [];
    const wanted: ParsedTrigger[] = [];
    for (const t of requested) {
      const parsed = parseTrigger(t);
      if ('errors' in parsed) failed.push({ trigger: t, errors: parsed.errors });
      else wanted.push(parsed);
    }
    const current = this.triggersOf(s);
    const next = [...current];
    for (const w of wanted) {
      if (!next.some((t) => t.resource === w.resource && t.eventType === w.eventType)) {
        next.push({ id: triggerIdOf(s.externalId, w.resource, w.eventType), ...w });
      }
    }
    const hook = next.length === current.length ? s : await this.saveTriggers(p, s, next);
    const created = wanted.map((w) => ({ id: triggerIdOf(s.externalId, w.resource, w.eventType), ...w }));
    return { hook, created, failed };
  }

  /** Adds one trigger, or refuses it with Procore's validation error naming what is wrong with it. */
  async addTrigger(
    p: AuthenticatedPrincipal,
    scope: ProcoreScope,
    hookId: string,
    requested: { resource_name: string; event_type: string },
  ): Promise<{ hook: SubscriptionView; trigger: TriggerResult['created'][number] }> {
    const r = await this.addTriggers(p, scope, hookId, [requested]);
    if (r.failed.length) throw ProcoreHttpError.validation(r.failed[0].errors);
    return { hook: r.hook, trigger: r.created[0] };
  }

  /** Removes one trigger by the id in the path; an id that is not this hook's is a 404. */
  async removeTrigger(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, id: string): Promise<void> {
    const r = await this.removeTriggers(p, scope, hookId, [/^\d{1,18}$/.test(id) ? Number(id) : -1]);
    if (r.failed.length) throw ProcoreHttpError.notFound(`Trigger ${id}`);
  }

  /** Removes triggers by id; ids that are not this hook's fail. */
  removeTriggers(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, ids: number[]): Promise<{ succeeded: number[]; failed: number[] }> {
    return this.serially(p, hookId, () => this.removeTriggersNow(p, scope, hookId, ids));
  }

  private async removeTriggersNow(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, ids: number[]): Promise<{ succeeded: number[]; failed: number[] }> {
    const s = await this.get(p, scope, hookId);
    const current = this.triggersOf(s);
    const succeeded: number[] = [];
    const failed: number[] = [];
    for (const id of ids) {
      const parsed = parseTriggerId(id);
      if (parsed && parsed.hookId === s.externalId && current.some((t) => t.id === id)) succeeded.push(id);
      else failed.push(id);
    }
    if (succeeded.length) await this.saveTriggers(p, s, current.filter((t) => !succeeded.includes(t.id)));
    return { succeeded, failed };
  }

  private saveTriggers(p: AuthenticatedPrincipal, s: SubscriptionView, triggers: TriggerView[]): Promise<SubscriptionView> {
    const eventTypes = [...new Set(triggers.flatMap((t) => coreEventTypesOf(t.resource, t.eventType, isKnownEventType)))];
    const options = procoreOptionsOf(s.formatOptions);
    options.triggers = triggers.map((t) => ({ resource_type: t.resource.resourceType, event_type: t.eventType }));
    return this.updateSubscription.execute({
      tenantId: p.tenantId,
      subscription: { id: s.id },
      patch: { eventTypes: eventTypes.length ? eventTypes : ['*'], formatOptions: { ...s.formatOptions, ...options } },
    });
  }

  /** One page of a hook's deliveries (newest first), with bodies and attempts, filtered like Procore. */
  async deliveries(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, q: DeliveryQuery): Promise<{ items: DeliverySource[]; hasMore: boolean }> {
    const s = await this.get(p, scope, hookId);
    const filter: DeliverySearchFilter = { origins: ['event', 'redeliver', 'replay', 'redrive'] };
    const errors: Record<string, string[]> = {};
    if (q.statuses) {
      const statuses = DELIVERY_STATUS_FILTERS[q.statuses];
      if (!statuses) errors['filter[status]'] = ['must be one of succeeded, failed, discarded, enqueued, retrying'];
      else if (statuses.length) filter.statuses = statuses as DeliveryStatus[];
    }
    const resource = q.resourceName ? resourceByName(q.resourceName) : undefined;
    if (q.resourceName && !resource) errors['filter[resource_name]'] = [`unknown resource "${q.resourceName}"`];
    if (resource) filter.resourceType = resource.resourceType;
    if (q.eventType) {
      const eventType = parseEventType(q.eventType);
      if (!eventType) errors['filter[event_type]'] = ['must be one of create, update, delete'];
      else filter.eventTypes = (resource ? [resource] : PROCORE_RESOURCES).flatMap((r) => coreEventTypesOf(r, eventType, isKnownEventType));
    }
    if (q.start) {
      if (!DATE.test(q.start) || Number.isNaN(Date.parse(q.start))) errors['filter[start]'] = ['must be a date, yyyy-mm-dd'];
      else filter.from = new Date(`${q.start}T00:00:00Z`);
    }
    if (q.end) {
      if (!DATE.test(q.end) || Number.isNaN(Date.parse(q.end))) errors['filter[end]'] = ['must be a date, yyyy-mm-dd'];
      else filter.to = new Date(Date.parse(`${q.end}T00:00:00Z`) + 86_400_000);
    }
    if (Object.keys(errors).length) throw ProcoreHttpError.validation(errors);
    // Pages are numbered; the log pages by cursor: walk to the page asked for.
    let cursor: string | null = null;
    for (let page = 1; ; page++) {
      const r = await this.searchDeliveries.execute({ tenantId: p.tenantId, subscriptionId: s.id, filter, limit: q.perPage, cursor });
      if (page === q.page || !r.nextCursor) {
        if (page !== q.page) return { items: [], hasMore: false };
        const records = await Promise.all(r.items.map((d) => this.getDelivery.execute({ tenantId: p.tenantId, deliveryId: d.deliveryId })));
        return { items: records.filter((d): d is NonNullable<typeof d> => d !== null), hasMore: r.nextCursor !== null };
      }
      cursor = r.nextCursor;
    }
  }
}

function inScope(s: SubscriptionView, scope: ProcoreScope): boolean {
  return scope.kind === 'company' ? s.scope.kind === 'tenant' : s.scope.kind === 'project' && s.scope.projectId === scope.projectId;
}
