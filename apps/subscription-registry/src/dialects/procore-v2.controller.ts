import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res, UseFilters, UseGuards, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ProcoreDocs } from '@herald/registry/openapi';
import { HookFieldsSchema, TriggerFieldsSchema, V2BulkCreateSchema, V2BulkDeleteSchema, normalizePayloadVersion, v2Delivery, v2Hook, v2Resources, v2Trigger } from '@herald/dialects/procore';
import { BearerApiKeyGuard, CurrentPrincipal, RequireAnyScope, type AuthenticatedPrincipal } from '@herald/registry/principals';
import { ProcoreDeliveries, ProcoreErrorFilter, ProcoreHooks, ProcoreHttpError, ProcoreTriggers, deliveryQuery, parseBody, procoreScopeOf, setPageHeaders, str, triggersOf, type ProcoreScope } from '@herald/registry/dialect-procore';

type Query = Record<string, unknown>;
interface Res {
  status(code: number): Res;
  setHeader(name: string, value: string): void;
}
interface ScopedRequest {
  principal: AuthenticatedPrincipal;
  params: Record<string, string | undefined>;
}

/** Every route twice: the company's and a project's. */
const both = (path: string) => [`webhooks/${path}`, `projects/:projectId/webhooks/${path}`];

const scopeOf = ({ principal, params }: ScopedRequest): ProcoreScope => {
  const companyId = params['companyId'] ?? '';
  return procoreScopeOf(principal, /^\d{1,16}$/.test(companyId) ? Number(companyId) : -1, params['projectId']);
};
/** The scope in the path: the company, and the project on a project's route. */
const PathScope = createParamDecorator((_: unknown, ctx: ExecutionContext) => scopeOf(ctx.switchToHttp().getRequest<ScopedRequest>()));

/**
 * Procore's Webhooks API v2.0 (`/rest/v2.0/companies/{company_id}[/projects/{project_id}]/webhooks/...`):
 * the same use cases as v1.0 with the scope in the path, string ids and `{data: ...}` bodies.
 */
@ProcoreDocs.tags()
@ProcoreDocs.v2Scope()
@Controller('rest/v2.0/companies/:companyId')
@UseGuards(BearerApiKeyGuard)
@RequireAnyScope('webhooks', 'administrative')
@UseFilters(ProcoreErrorFilter)
export class ProcoreV2Controller {
  constructor(
    private readonly hooks: ProcoreHooks,
    private readonly triggers: ProcoreTriggers,
    private readonly deliveriesOf: ProcoreDeliveries,
  ) {}

  @ProcoreDocs.v2.create()
  @Post(both('hooks'))
  @HttpCode(201)
  async create(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param() params: ScopedRequest['params'], @Body() body: unknown) {
    const hook = parseBody(HookFieldsSchema, body);
    const errors: Record<string, string[]> = {};
    if (!hook.payload_version && !hook.api_version) errors['payload_version'] = ["can't be blank"];
    if (!hook.namespace) errors['namespace'] = ["can't be blank"];
    if (Object.keys(errors).length) throw ProcoreHttpError.validation(errors);
    return { data: v2Hook(await this.hooks.create(p, scopeOf({ principal: p, params }), hook)) };
  }

  @ProcoreDocs.v2.list()
  @Get(both('hooks'))
  async list(@CurrentPrincipal() p: AuthenticatedPrincipal, @PathScope() scope: ProcoreScope, @Query() q: Query) {
    const version = str(q, 'payload_version');
    const hooks = await this.hooks.list(p, scope, { namespace: str(q, 'namespace'), version: version ? normalizePayloadVersion(version) : undefined });
    return { data: hooks.map(v2Hook) };
  }

  @ProcoreDocs.v2.get()
  @Get(both('hooks/:id'))
  async get(@CurrentPrincipal() p: AuthenticatedPrincipal, @PathScope() scope: ProcoreScope, @Param('id') id: string) {
    return { data: v2Hook(await this.hooks.get(p, scope, id)) };
  }

  @ProcoreDocs.v2.update()
  @Patch(both('hooks/:id'))
  async update(@CurrentPrincipal() p: AuthenticatedPrincipal, @PathScope() scope: ProcoreScope, @Param('id') id: string, @Body() body: unknown) {
    return { data: v2Hook(await this.hooks.update(p, scope, id, parseBody(HookFieldsSchema, body ?? {}))) };
  }

  @ProcoreDocs.v2.remove()
  @Delete(both('hooks/:id'))
  @HttpCode(204)
  async remove(@CurrentPrincipal() p: AuthenticatedPrincipal, @PathScope() scope: ProcoreScope, @Param('id') id: string): Promise<void> {
    await this.hooks.remove(p, scope, id);
  }

  @ProcoreDocs.v2.triggers()
  @Get(both('hooks/:hookId/triggers'))
  async listTriggers(@CurrentPrincipal() p: AuthenticatedPrincipal, @PathScope() scope: ProcoreScope, @Param('hookId') hookId: string) {
    const hook = await this.hooks.get(p, scope, hookId);
    return { data: triggersOf(hook).map((t) => v2Trigger(hook, t)) };
  }

  @ProcoreDocs.v2.bulkCreate()
  @Post(both('hooks/:hookId/triggers/bulk'))
  async bulkCreate(@CurrentPrincipal() p: AuthenticatedPrincipal, @PathScope() scope: ProcoreScope, @Param('hookId') hookId: string, @Body() body: unknown, @Res({ passthrough: true }) res: Res) {
    const r = await this.triggers.add(p, scope, hookId, parseBody(V2BulkCreateSchema, body));
    res.status(r.failed.length ? 207 : 201);
    return { data: [...r.created.map((t) => v2Trigger(r.hook, t)), ...r.failed.map((f) => ({ ...f.trigger, errors: f.errors }))] };
  }

  @ProcoreDocs.v2.bulkDelete()
  @Delete(both('hooks/:hookId/triggers/bulk'))
  async bulkDelete(@CurrentPrincipal() p: AuthenticatedPrincipal, @PathScope() scope: ProcoreScope, @Param('hookId') hookId: string, @Body() body: unknown, @Res({ passthrough: true }) res: Res) {
    const r = await this.triggers.remove(p, scope, hookId, parseBody(V2BulkDeleteSchema, body));
    res.status(r.failed.length ? 207 : 200);
    const succeeded = r.succeeded.map(String);
    return { data: r.failed.length ? { succeeded, failed: r.failed.map(String) } : { succeeded } };
  }

  @ProcoreDocs.v2.createTrigger()
  @Post(both('hooks/:hookId/triggers'))
  @HttpCode(201)
  async createTrigger(@CurrentPrincipal() p: AuthenticatedPrincipal, @PathScope() scope: ProcoreScope, @Param('hookId') hookId: string, @Body() body: unknown) {
    const r = await this.triggers.addOne(p, scope, hookId, parseBody(TriggerFieldsSchema, body));
    return { data: v2Trigger(r.hook, r.trigger) };
  }

  @ProcoreDocs.v2.removeTrigger()
  @Delete(both('hooks/:hookId/triggers/:id'))
  @HttpCode(204)
  async removeTrigger(@CurrentPrincipal() p: AuthenticatedPrincipal, @PathScope() scope: ProcoreScope, @Param('hookId') hookId: string, @Param('id') id: string): Promise<void> {
    await this.triggers.removeOne(p, scope, hookId, id);
  }

  @ProcoreDocs.v2.deliveries()
  @Get(both('hooks/:hookId/deliveries'))
  async deliveries(@CurrentPrincipal() p: AuthenticatedPrincipal, @PathScope() scope: ProcoreScope, @Param('hookId') hookId: string, @Query() q: Query, @Res({ passthrough: true }) res: Res) {
    const query = deliveryQuery(q);
    const r = await this.deliveriesOf.page(p, scope, hookId, query);
    setPageHeaders(res, query, r.hasMore);
    return { data: r.items.map(v2Delivery) };
  }

  @ProcoreDocs.v2.resources()
  @Get(both('resources'))
  resources(@PathScope() _scope: ProcoreScope, @Query() q: Query) {
    const requested = str(q, 'payload_version');
    const version = requested ? normalizePayloadVersion(requested) : undefined;
    if (!version) throw ProcoreHttpError.validation({ payload_version: ['must be one of v2.0, v3.0, v4.0'] });
    return { data: v2Resources(version) };
  }
}
