import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res, UseFilters, UseGuards, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ProcoreDocs } from '@herald/registry/openapi';
import { V1BulkCreateSchema, V1BulkDeleteSchema, V1HookBodySchema, V1TriggerBodySchema, normalizePayloadVersion, v1Delivery, v1Hook, v1Resources, v1Trigger } from '@herald/dialects/procore';
import { BearerApiKeyGuard, CurrentPrincipal, RequireAnyScope, type AuthenticatedPrincipal } from '@herald/registry/principals';
import { ProcoreDeliveries, ProcoreErrorFilter, ProcoreHooks, ProcoreHttpError, ProcoreTriggers, companyParam, deliveryQuery, parseBody, procoreScopeOf, setPageHeaders, str, triggersOf, type ProcoreScope } from '@herald/registry/dialect-procore';

type Query = Record<string, unknown>;
interface Res {
  status(code: number): Res;
  setHeader(name: string, value: string): void;
}
type ScopeFields = { company_id?: number; project_id?: string; project_template_id?: string };

/** The scope given as `company_id`, `project_id` or `project_template_id` query parameters. */
const QueryScope = createParamDecorator((_: unknown, ctx: ExecutionContext): ProcoreScope => {
  const { principal, query: q } = ctx.switchToHttp().getRequest<{ principal: AuthenticatedPrincipal; query: Query }>();
  return procoreScopeOf(principal, companyParam(q), str(q, 'project_id'), str(q, 'project_template_id'));
});
const bodyScope = (p: AuthenticatedPrincipal, b: ScopeFields) => procoreScopeOf(p, b.company_id, b.project_id, b.project_template_id);

/**
 * Procore's Webhooks API v1.0 (`/rest/v1.0/webhooks/...`): the scope in the body on create,
 * else as `company_id` / `project_id` query parameters; integer ids; Procore's error bodies.
 */
@ProcoreDocs.tags()
@Controller('rest/v1.0/webhooks')
@UseGuards(BearerApiKeyGuard)
@RequireAnyScope('webhooks', 'administrative')
@UseFilters(ProcoreErrorFilter)
export class ProcoreV1Controller {
  constructor(
    private readonly hooks: ProcoreHooks,
    private readonly triggers: ProcoreTriggers,
    private readonly deliveriesOf: ProcoreDeliveries,
  ) {}

  @ProcoreDocs.v1.create()
  @Post('hooks')
  async create(@CurrentPrincipal() p: AuthenticatedPrincipal, @Body() body: unknown) {
    const b = parseBody(V1HookBodySchema, body);
    return v1Hook(await this.hooks.create(p, bodyScope(p, b), b.hook));
  }

  @ProcoreDocs.v1.list()
  @Get('hooks')
  async list(@CurrentPrincipal() p: AuthenticatedPrincipal, @QueryScope() scope: ProcoreScope, @Query() q: Query) {
    const version = str(q, 'api_version');
    const hooks = await this.hooks.list(p, scope, { namespace: str(q, 'namespace'), version: version ? normalizePayloadVersion(version) : undefined });
    return hooks.map(v1Hook);
  }

  @ProcoreDocs.v1.get()
  @Get('hooks/:id')
  async get(@CurrentPrincipal() p: AuthenticatedPrincipal, @QueryScope() scope: ProcoreScope, @Param('id') id: string) {
    return v1Hook(await this.hooks.get(p, scope, id));
  }

  @ProcoreDocs.v1.update()
  @Patch('hooks/:id')
  async update(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string, @Query() q: Query, @Body() body: unknown) {
    const b = parseBody(V1HookBodySchema.partial({ hook: true }), body ?? {});
    const scope = procoreScopeOf(p, b.company_id ?? companyParam(q), b.project_id ?? str(q, 'project_id'), b.project_template_id ?? str(q, 'project_template_id'));
    return v1Hook(await this.hooks.update(p, scope, id, b.hook ?? {}));
  }

  @ProcoreDocs.v1.remove()
  @Delete('hooks/:id')
  @HttpCode(200)
  async remove(@CurrentPrincipal() p: AuthenticatedPrincipal, @QueryScope() scope: ProcoreScope, @Param('id') id: string): Promise<void> {
    await this.hooks.remove(p, scope, id);
  }

  @ProcoreDocs.v1.triggers()
  @Get('hooks/:hookId/triggers')
  async listTriggers(@CurrentPrincipal() p: AuthenticatedPrincipal, @QueryScope() scope: ProcoreScope, @Param('hookId') hookId: string) {
    const hook = await this.hooks.get(p, scope, hookId);
    return triggersOf(hook).map((t) => v1Trigger(hook, t));
  }

  @ProcoreDocs.v1.bulkCreate()
  @Post('hooks/:hookId/triggers/bulk')
  async bulkCreate(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('hookId') hookId: string, @Body() body: unknown, @Res({ passthrough: true }) res: Res) {
    const b = parseBody(V1BulkCreateSchema, body);
    const r = await this.triggers.add(p, bodyScope(p, b), hookId, b.triggers);
    res.status(r.failed.length ? 207 : 200);
    const success = r.created.map((t) => v1Trigger(r.hook, t));
    if (!r.failed.length) return { success };
    return { success, failed: r.failed.map((f) => ({ code: '400', message: 'Bad Request', trigger: f.trigger, errors: f.errors })) };
  }

  @ProcoreDocs.v1.bulkDelete()
  @Delete('hooks/:hookId/triggers/bulk')
  async bulkDelete(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('hookId') hookId: string, @Body() body: unknown, @Res({ passthrough: true }) res: Res) {
    const b = parseBody(V1BulkDeleteSchema, body);
    const r = await this.triggers.remove(p, bodyScope(p, b), hookId, b.trigger_ids);
    res.status(r.failed.length ? 207 : 200);
    return r.failed.length ? { success: r.succeeded, failed: r.failed.map((id) => ({ code: '404', trigger: id })) } : { success: r.succeeded };
  }

  @ProcoreDocs.v1.createTrigger()
  @Post('hooks/:hookId/triggers')
  @HttpCode(201)
  async createTrigger(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('hookId') hookId: string, @Body() body: unknown) {
    const b = parseBody(V1TriggerBodySchema, body);
    const r = await this.triggers.addOne(p, bodyScope(p, b), hookId, b.trigger);
    return v1Trigger(r.hook, r.trigger);
  }

  @ProcoreDocs.v1.removeTrigger()
  @Delete('hooks/:hookId/triggers/:id')
  @HttpCode(200)
  async removeTrigger(@CurrentPrincipal() p: AuthenticatedPrincipal, @QueryScope() scope: ProcoreScope, @Param('hookId') hookId: string, @Param('id') id: string): Promise<void> {
    await this.triggers.removeOne(p, scope, hookId, id);
  }

  @ProcoreDocs.v1.deliveries()
  @Get('hooks/:hookId/deliveries')
  async deliveries(@CurrentPrincipal() p: AuthenticatedPrincipal, @QueryScope() scope: ProcoreScope, @Param('hookId') hookId: string, @Query() q: Query, @Res({ passthrough: true }) res: Res) {
    const query = deliveryQuery(q);
    const r = await this.deliveriesOf.page(p, scope, hookId, query);
    setPageHeaders(res, query, r.hasMore);
    return r.items.map(v1Delivery);
  }

  @ProcoreDocs.v1.resources()
  @Get('resources')
  resources(@QueryScope() _scope: ProcoreScope, @Query() q: Query) {
    const requested = str(q, 'api_version');
    const version = requested ? normalizePayloadVersion(requested) : 'v2.0';
    if (!version) throw ProcoreHttpError.validation({ api_version: ['must be one of v2.0, v3.0, v4.0'] });
    return v1Resources(version);
  }
}
