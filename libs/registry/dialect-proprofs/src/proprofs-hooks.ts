import { Injectable } from '@nestjs/common';
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
import { CreateSubscription, DeleteSubscription, DialectSubscriptions, ListSubscriptions, SubscriptionConflictError } from '@herald/registry/subscriptions';
import { ProProfsHttpError } from './proprofs-errors';

const TARGET_URL_TAKEN = 'target_url already has a subscription (target urls must be unique)';

/**
 * ProProfs Project's REST hooks over the subscription core (docs/dialects/proprofs.md): who may
 * call (a `key` + `domain` pair whose key has the `webhooks` or `administrative` scope),
 * subscribe (a target URL unique among the tenant's ProProfs hooks, ProProfs' default policy)
 * and unsubscribe (by ProProfs' numeric hook id; the subscriber, or an administrator).
 */
@Injectable()
export class ProProfsHooks {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly principals: PrincipalsView,
    private readonly createSubscription: CreateSubscription,
    private readonly deleteSubscription: DeleteSubscription,
    private readonly listSubscriptions: ListSubscriptions,
    private readonly hooks: DialectSubscriptions,
  ) {}

  authenticate(key: string | undefined, domain: string | undefined): AuthenticatedPrincipal {
    this.principals.assertCaughtUp();
    const p = this.authenticator.authenticateKeyAndDomain(key, domain);
    this.authenticator.requireAnyScope(p, ['webhooks', 'administrative']);
    return p;
  }

  async subscribe(p: AuthenticatedPrincipal, body: unknown): Promise<ProProfsSubscribed> {
    const parsed = ProProfsSubscribeSchema.safeParse(body);
    if (!parsed.success) throw new ProProfsHttpError(400, describeIssues(parsed.error));
    const settings = settingsOf(parsed.data);
    const taken = await this.listSubscriptions.execute({ tenantId: p.tenantId, dialect: PROPROFS_DIALECT, url: settings.url, limit: 1 });
    if (taken.items.length > 0) throw new ProProfsHttpError(409, TARGET_URL_TAKEN);
    // The read above answers the common case; the unique index answers two subscribes racing (two replicas).
    const created = await this.createSubscription
      .execute({ tenantId: p.tenantId, ownerUserId: p.userId, dialect: PROPROFS_DIALECT, settings, dialectDefaults: PROPROFS_DEFAULT_POLICY })
      .catch((e: unknown) => {
        throw e instanceof SubscriptionConflictError ? new ProProfsHttpError(409, TARGET_URL_TAKEN) : e;
      });
    return { id: proprofsHookIdOf(created.subscription.id) };
  }

  async unsubscribe(p: AuthenticatedPrincipal, hookId: string): Promise<void> {
    const id = subscriptionIdOf(hookId);
    const hook = id ? await this.hooks.byId(p.tenantId, PROPROFS_DIALECT, id) : null;
    if (!hook) throw new ProProfsHttpError(404, `subscription ${hookId} not found`);
    // Hooks are tied to the subscribing user's key; an administrator may remove anyone's.
    if (hook.ownerUserId !== p.userId && !p.scopes.includes('administrative')) {
      throw new ProProfsHttpError(401, 'this subscription belongs to another user');
    }
    await this.deleteSubscription.execute({ tenantId: p.tenantId, subscription: { id: hook.id } });
  }
}
