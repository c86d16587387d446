import { Injectable } from '@nestjs/common';
import {
  PROCORE_DEFAULT_POLICY,
  companyIdOf,
  maskAuthorization,
  parseEventType,
  payloadFormatOf,
  procoreError,
  procoreOptionsOf,
  resourceByType,
  triggerIdOf,
  type HookFields,
  type PayloadVersion,
  type ProcoreFormatOptions,
  type TriggerView,
} from '@herald/dialects/procore';
import { PrincipalDirectory, type AuthenticatedPrincipal } from '@herald/registry/principals';
import {
  CreateSubscription,
  DeleteSubscription,
  DialectSubscriptions,
  DisableSubscription,
  EnableSubscription,
  UpdateSubscription,
  retryOnVersionConflict,
  type SubscriptionView,
} from '@herald/registry/subscriptions';
import { ProcoreHttpError } from './procore-errors';

export const PROCORE_DIALECT = 'procore';

/** Where a request acts: the company (the tenant) or one of its projects. */
export type ProcoreScope =
  | { kind: 'company'; companyId: number }
  | { kind: 'project'; projectId: string; companyId?: number; template?: boolean };

/** The scope of a request: company_id must be the caller's company; project_id wins when both are given. */
export function procoreScopeOf(p: AuthenticatedPrincipal, companyId: number | undefined, projectId: string | undefined, templateId?: string): ProcoreScope {
  if (companyId !== undefined && companyId !== companyIdOf(p.tenantId)) {
    throw new ProcoreHttpError(403, procoreError('forbidden', `you have no access to company ${companyId}`));
  }
  // A template's hooks are project-level hooks of the template (the template id as project id).
  if (templateId !== undefined) return { kind: 'project', projectId: templateId, companyId, template: true };
  if (projectId !== undefined) return { kind: 'project', projectId, companyId };
  if (companyId !== undefined) return { kind: 'company', companyId };
  throw ProcoreHttpError.validation({ base: ['You must supply either a company_id or project_id'] });
}

/**
 * Procore's hooks over the subscription core: a hook is a subscription (dialect `procore`, its
 * integer id the subscription's external id) of the company (the tenant) or of one project; its
 * triggers (`ProcoreTriggers`) live in the subscription's formatOptions and decide its event
 * types; its deliveries (`ProcoreDeliveries`) are the core delivery log. The v1.0 and v2.0
 * controllers both call these; they differ only in shapes.
 */
@Injectable()
export class ProcoreHooks {
  constructor(
    private readonly createSubscription: CreateSubscription,
    private readonly updateSubscription: UpdateSubscription,
    private readonly deleteSubscription: DeleteSubscription,
    private readonly enableSubscription: EnableSubscription,
    private readonly disableSubscription: DisableSubscription,
    private readonly hooks: DialectSubscriptions,
    private readonly directory: PrincipalDirectory,
  ) {}

  /** List Companies: the caller's one company, its id derived from the tenant id. */
  companies(p: AuthenticatedPrincipal): { id: number; name: string; is_active: boolean }[] {
    return [{ id: companyIdOf(p.tenantId), name: this.directory.tenant(p.tenantId)?.name || p.tenantSlug, is_active: true }];
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
      dialect: PROCORE_DIALECT,
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
    return (await this.hooks.all(p.tenantId, PROCORE_DIALECT)).filter(
      (s) =>
        inScope(s, scope) &&
        (!filter.namespace || procoreOptionsOf(s.formatOptions).namespace === filter.namespace) &&
        (!filter.version || s.payloadFormat === payloadFormatOf(filter.version)),
    );
  }

  async get(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string): Promise<SubscriptionView> {
    const s = await this.hooks.byExternalId(p.tenantId, PROCORE_DIALECT, hookId);
    if (!s || !inScope(s, scope)) throw ProcoreHttpError.notFound(`Hook ${hookId}`);
    return s;
  }

  async update(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, hook: HookFields): Promise<SubscriptionView> {
    // formatOptions is read, changed and written whole: on the version read, again if it moved (a trigger added meanwhile).
    let s = await retryOnVersionConflict(() => this.updateSettings(p, scope, hookId, hook));
    if (hook.status === 'disabled' && s.status !== 'disabled') {
      s = await this.disableSubscription.execute({ tenantId: p.tenantId, subscription: { id: s.id }, reason: 'disabled through the Procore API' });
    } else if (hook.status === 'active' && (s.status === 'disabled' || s.status === 'auto-disabled')) {
      s = await this.enableSubscription.execute({ tenantId: p.tenantId, subscription: { id: s.id } });
    }
    return s;
  }

  private async updateSettings(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, hook: HookFields): Promise<SubscriptionView> {
    const s = await this.get(p, scope, hookId);
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
    if (!Object.keys(patch).length) return s;
    return this.updateSubscription.execute({ tenantId: p.tenantId, subscription: { id: s.id }, patch, expectedVersion: s.version });
  }

  async remove(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string): Promise<void> {
    const s = await this.get(p, scope, hookId);
    await this.deleteSubscription.execute({ tenantId: p.tenantId, subscription: { id: s.id } });
  }
}

/** A hook's triggers as Procore shows them (the ones this Herald knows). */
export function triggersOf(s: SubscriptionView): TriggerView[] {
  return procoreOptionsOf(s.formatOptions).triggers.flatMap((t) => {
    const resource = resourceByType(t.resource_type);
    const eventType = parseEventType(t.event_type);
    return resource && eventType ? [{ id: triggerIdOf(s.externalId, resource, eventType), resource, eventType }] : [];
  });
}

function inScope(s: SubscriptionView, scope: ProcoreScope): boolean {
  return scope.kind === 'company' ? s.scope.kind === 'tenant' : s.scope.kind === 'project' && s.scope.projectId === scope.projectId;
}
