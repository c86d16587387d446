import { Injectable } from '@nestjs/common';
import { PPM_DEFAULT_POLICY, PPM_DIALECT, PpmCreateWebhookSchema, detailsOf, settingsOf, webhookOf, type PpmWebhook } from '@herald/dialects/ppm-express';
import { Authenticator, PrincipalsView, type AuthenticatedPrincipal } from '@herald/registry/principals';
import { CreateSubscription, DeleteSubscription, DialectSubscriptions, GetSubscription, SubscriptionNotFoundError, type SubscriptionView } from '@herald/registry/subscriptions';
import { PpmHttpError } from './ppm-errors';

const API_VERSION = /^v\d+(\.\d+)?$/i;

/**
 * PPM Express' Webhooks API over the subscription core (docs/dialects/ppm-express.md): who may
 * call (`/@{tenant}/{apiVersion}/…` with a Bearer token of that tenant holding the `webhooks` or
 * `administrative` scope, as the native API; deleting all needs `administrative`), and create,
 * list, get, delete and delete-all of the tenant's PPM Express webhooks with PPM Express' default
 * policy. Header values are sealed at rest and shown redacted (at most their last 4 characters),
 * never in clear: what a hook sends is not readable back through any API.
 */
@Injectable()
export class PpmWebhooks {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly principals: PrincipalsView,
    private readonly createSubscription: CreateSubscription,
    private readonly deleteSubscription: DeleteSubscription,
    private readonly getSubscription: GetSubscription,
    private readonly hooks: DialectSubscriptions,
  ) {}

  authenticate(tenant: string, apiVersion: string, authorization: string | undefined): AuthenticatedPrincipal {
    if (!API_VERSION.test(apiVersion)) throw new PpmHttpError(404, 'NotFound', `unknown API version "${apiVersion}" (e.g. v1)`);
    this.principals.assertCaughtUp();
    const p = this.authenticator.authenticateBearer(authorization);
    if (p.tenantSlug.toLowerCase() !== tenant.toLowerCase()) throw new PpmHttpError(401, 'Unauthorized', `the token does not belong to tenant "${tenant}"`);
    this.authenticator.requireAnyScope(p, ['webhooks', 'administrative']);
    return p;
  }

  async create(p: AuthenticatedPrincipal, body: unknown): Promise<PpmWebhook> {
    const parsed = PpmCreateWebhookSchema.safeParse(body ?? {});
    if (!parsed.success) throw new PpmHttpError(400, 'BadRequest', 'the webhook is not valid', detailsOf(parsed.error));
    const created = await this.createSubscription.execute({
      tenantId: p.tenantId,
      ownerUserId: p.userId,
      dialect: PPM_DIALECT,
      settings: settingsOf(parsed.data),
      dialectDefaults: PPM_DEFAULT_POLICY,
    });
    return webhookOf(await this.getSubscription.execute({ tenantId: p.tenantId, subscription: { id: created.subscription.id } }));
  }

  async list(p: AuthenticatedPrincipal): Promise<PpmWebhook[]> {
    return (await this.hooks.all(p.tenantId, PPM_DIALECT)).map(webhookOf);
  }

  async get(p: AuthenticatedPrincipal, id: string): Promise<PpmWebhook> {
    return webhookOf(await this.find(p.tenantId, id));
  }

  async remove(p: AuthenticatedPrincipal, id: string): Promise<void> {
    const hook = await this.find(p.tenantId, id);
    await this.deleteSubscription.execute({ tenantId: p.tenantId, subscription: { id: hook.id } });
  }

  /** Removes every PPM Express webhook of the tenant (not its native or other dialects' hooks). */
  async removeAll(p: AuthenticatedPrincipal): Promise<void> {
    this.authenticator.requireAnyScope(p, ['administrative']);
    for (const hook of await this.hooks.all(p.tenantId, PPM_DIALECT)) {
      await this.deleteSubscription.execute({ tenantId: p.tenantId, subscription: { id: hook.id } }).catch((e: unknown) => {
        // Deleted meanwhile by another call: what was asked is done.
        if (!(e instanceof SubscriptionNotFoundError)) throw e;
      });
    }
  }

  private async find(tenantId: string, id: string): Promise<SubscriptionView> {
    const hook = await this.hooks.byId(tenantId, PPM_DIALECT, id);
    if (!hook) throw new PpmHttpError(404, 'NotFound', `webhook ${id} not found`);
    return hook;
  }
}
