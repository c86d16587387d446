import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  PPM_DEFAULT_POLICY,
  PPM_DIALECT,
  PpmCreateWebhookSchema,
  detailsOf,
  settingsOf,
  webhookOf,
  type PpmWebhook,
} from '@herald/dialects/ppm-express';
import { Authenticator, PrincipalsView, type AuthenticatedPrincipal } from '@herald/registry/principals';
import {
  CreateSubscription,
  DeleteSubscription,
  GetSubscription,
  ListSubscriptions,
  MAX_PAGE_SIZE,
  SubscriptionNotFoundError,
  type SubscriptionView,
} from '@herald/registry/subscriptions';
import { PpmErrorFilter, PpmHttpError } from './ppm-errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const API_VERSION = /^v\d+(\.\d+)?$/i;

/**
 * PPM Express' Webhooks API (`/@{tenant}/{apiVersion}/Webhooks`) with a Bearer token of any
 * scope (deleting all of them needs `administrative`), translated into the subscription core with
 * PPM Express' default policy. Header values are shown as given, as PPM Express shows them
 * (docs/dialects/ppm-express.md).
 */
@ApiExcludeController()
@Controller('@:tenant/:apiVersion/Webhooks')
@UseFilters(PpmErrorFilter)
export class PpmWebhooksController {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly principals: PrincipalsView,
    private readonly createSubscription: CreateSubscription,
    private readonly deleteSubscription: DeleteSubscription,
    private readonly getSubscription: GetSubscription,
    private readonly listSubscriptions: ListSubscriptions,
  ) {}

  @Post()
  @HttpCode(200)
  async create(
    @Param('tenant') tenant: string,
    @Param('apiVersion') apiVersion: string,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
  ): Promise<{ data: PpmWebhook }> {
    const p = this.authenticate(tenant, apiVersion, authorization);
    const parsed = PpmCreateWebhookSchema.safeParse(body ?? {});
    if (!parsed.success) throw new PpmHttpError(400, 'BadRequest', 'the webhook is not valid', detailsOf(parsed.error));
    const created = await this.createSubscription.execute({
      tenantId: p.tenantId,
      ownerUserId: p.userId,
      dialect: PPM_DIALECT,
      settings: settingsOf(parsed.data),
      dialectDefaults: PPM_DEFAULT_POLICY,
    });
    const shown = await this.getSubscription.execute({ tenantId: p.tenantId, subscription: { id: created.subscription.id }, revealHeaders: true });
    return { data: webhookOf(shown) };
  }

  @Get()
  async list(
    @Param('tenant') tenant: string,
    @Param('apiVersion') apiVersion: string,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<{ data: PpmWebhook[] }> {
    const p = this.authenticate(tenant, apiVersion, authorization);
    return { data: (await this.all(p.tenantId)).map(webhookOf) };
  }

  @Get(':id')
  async get(
    @Param('tenant') tenant: string,
    @Param('apiVersion') apiVersion: string,
    @Param('id') id: string,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<{ data: PpmWebhook }> {
    const p = this.authenticate(tenant, apiVersion, authorization);
    return { data: webhookOf(await this.find(p.tenantId, id)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(
    @Param('tenant') tenant: string,
    @Param('apiVersion') apiVersion: string,
    @Param('id') id: string,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<void> {
    const p = this.authenticate(tenant, apiVersion, authorization);
    await this.find(p.tenantId, id);
    await this.deleteSubscription.execute({ tenantId: p.tenantId, subscription: { id } });
  }

  /** Removes every PPM Express webhook of the tenant (not its native or other dialects' hooks). */
  @Delete()
  @HttpCode(204)
  async removeAll(
    @Param('tenant') tenant: string,
    @Param('apiVersion') apiVersion: string,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<void> {
    const p = this.authenticate(tenant, apiVersion, authorization);
    this.authenticator.requireAnyScope(p, ['administrative']);
    for (const hook of await this.all(p.tenantId)) {
      await this.deleteSubscription
        .execute({ tenantId: p.tenantId, subscription: { id: hook.id } })
        .catch((e: unknown) => {
          // Deleted meanwhile by another call: what was asked is done.
          if (!(e instanceof SubscriptionNotFoundError)) throw e;
        });
    }
  }

  private authenticate(tenant: string, apiVersion: string, authorization: string | undefined): AuthenticatedPrincipal {
    if (!API_VERSION.test(apiVersion)) throw new PpmHttpError(404, 'NotFound', `unknown API version "${apiVersion}" (e.g. v1)`);
    // A valid token must not be refused because the registry just started.
    if (!this.principals.isCaughtUp) throw new PpmHttpError(503, 'ServiceUnavailable', 'still loading principals; retry shortly');
    const p = this.authenticator.authenticateBearer(authorization);
    if (p.tenantSlug.toLowerCase() !== tenant.toLowerCase()) throw new PpmHttpError(401, 'Unauthorized', `the token does not belong to tenant "${tenant}"`);
    return p;
  }

  private async find(tenantId: string, id: string): Promise<SubscriptionView> {
    const notFound = new PpmHttpError(404, 'NotFound', `webhook ${id} not found`);
    if (!UUID.test(id)) throw notFound;
    const hook = await this.getSubscription.execute({ tenantId, subscription: { id }, revealHeaders: true }).catch((e: unknown) => {
      throw e instanceof SubscriptionNotFoundError ? notFound : e;
    });
    if (hook.dialect !== PPM_DIALECT) throw notFound;
    return hook;
  }

  private async all(tenantId: string): Promise<SubscriptionView[]> {
    const out: SubscriptionView[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.listSubscriptions.execute({ tenantId, dialect: PPM_DIALECT, limit: MAX_PAGE_SIZE, cursor, revealHeaders: true });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }
}
