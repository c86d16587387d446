import { Controller, Delete, Headers, HttpCode, Param, Post, Req, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  PROPROFS_DEFAULT_POLICY,
  PROPROFS_DIALECT,
  ProProfsSubscribeSchema,
  describeIssues,
  proprofsHookIdOf,
  settingsOf,
  subscriptionIdOf,
  type ProProfsSubscribed,
} from '@herald/dialects/proprofs';
import { Authenticator, PrincipalsView, type AuthenticatedPrincipal } from '@herald/registry/principals';
import { CreateSubscription, DeleteSubscription, GetSubscription, ListSubscriptions, SubscriptionNotFoundError } from '@herald/registry/subscriptions';
import { ProProfsErrorFilter, ProProfsHttpError } from './proprofs-errors';

interface RawRequest extends AsyncIterable<Buffer> {
  body?: unknown;
  readableEnded?: boolean;
}

/**
 * The body as JSON whatever its content type: ProProfs' own curl example sends
 * `-H Content-Type: application/json` unquoted, so curl sends the JSON form-encoded.
 */
async function jsonBodyOf(req: RawRequest): Promise<unknown> {
  if (req.body !== undefined && req.body !== null && !(typeof req.body === 'object' && Object.keys(req.body).length === 0)) return req.body;
  if (req.readableEnded) return req.body ?? {};
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new ProProfsHttpError(400, 'body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProProfsHttpError(400, 'the body is not JSON');
  }
}

/**
 * ProProfs Project's REST hooks (`/v2/hooks`), with its `key` + `domain` headers: subscribe
 * and unsubscribe, translated into the subscription core with ProProfs' default policy
 * (docs/dialects/proprofs.md).
 */
@ApiExcludeController()
@Controller('v2/hooks')
@UseFilters(ProProfsErrorFilter)
export class ProProfsHooksController {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly principals: PrincipalsView,
    private readonly createSubscription: CreateSubscription,
    private readonly deleteSubscription: DeleteSubscription,
    private readonly getSubscription: GetSubscription,
    private readonly listSubscriptions: ListSubscriptions,
  ) {}

  @Post()
  @HttpCode(201)
  async subscribe(
    @Headers('key') key: string | undefined,
    @Headers('domain') domain: string | undefined,
    @Req() req: RawRequest,
  ): Promise<ProProfsSubscribed> {
    const p = this.authenticate(key, domain);
    const parsed = ProProfsSubscribeSchema.safeParse(await jsonBodyOf(req));
    if (!parsed.success) throw new ProProfsHttpError(400, describeIssues(parsed.error));
    const settings = settingsOf(parsed.data);
    const taken = await this.listSubscriptions.execute({ tenantId: p.tenantId, dialect: PROPROFS_DIALECT, url: settings.url, limit: 1 });
    if (taken.items.length > 0) throw new ProProfsHttpError(409, 'target_url already has a subscription (target urls must be unique)');
    const created = await this.createSubscription.execute({
      tenantId: p.tenantId,
      ownerUserId: p.userId,
      dialect: PROPROFS_DIALECT,
      settings,
      dialectDefaults: PROPROFS_DEFAULT_POLICY,
    });
    return { id: proprofsHookIdOf(created.subscription.id) };
  }

  @Delete(':id')
  @HttpCode(200)
  async unsubscribe(
    @Headers('key') key: string | undefined,
    @Headers('domain') domain: string | undefined,
    @Param('id') hookId: string,
  ): Promise<Record<string, never>> {
    const p = this.authenticate(key, domain);
    const id = subscriptionIdOf(hookId);
    if (!id) throw new ProProfsHttpError(404, `subscription ${hookId} not found`);
    const hook = await this.getSubscription.execute({ tenantId: p.tenantId, subscription: { id } }).catch((e: unknown) => {
      throw e instanceof SubscriptionNotFoundError ? new ProProfsHttpError(404, `subscription ${hookId} not found`) : e;
    });
    if (hook.dialect !== PROPROFS_DIALECT) throw new ProProfsHttpError(404, `subscription ${hookId} not found`);
    // Hooks are tied to the subscribing user's key; an administrator may remove anyone's.
    if (hook.ownerUserId !== p.userId && !p.scopes.includes('administrative')) {
      throw new ProProfsHttpError(401, 'this subscription belongs to another user');
    }
    await this.deleteSubscription.execute({ tenantId: p.tenantId, subscription: { id } });
    return {};
  }

  private authenticate(key: string | undefined, domain: string | undefined): AuthenticatedPrincipal {
    // A valid key must not be refused because the registry just started.
    if (!this.principals.isCaughtUp) throw new ProProfsHttpError(503, 'still loading principals; retry shortly');
    const p = this.authenticator.authenticateKeyAndDomain(key, domain);
    this.authenticator.requireAnyScope(p, ['webhooks', 'administrative']);
    return p;
  }
}
