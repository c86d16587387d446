import { Injectable } from '@nestjs/common';
import { WorksectionErrorCode, hashMatches, type WorksectionHookView } from '@herald/dialects/worksection';
import { AuthenticationError, Authenticator, MissingScopeError, PrincipalDirectory, PrincipalsLoadingError, PrincipalsView } from '@herald/registry/principals';
import { WorksectionAdminKeyStore } from './worksection-admin-keys';
import { WorksectionFailure } from './worksection-errors';
import { WorksectionWebhooks, worksectionViewOf, type AddWebhookParams } from './worksection-webhooks';

/** Who acts: the tenant, and the user a hook is owned by (the admin key stands for the account). */
export interface WorksectionCaller {
  tenantId: string;
  userId: string;
}

/** A request's query parameters, each as one string. */
export type WorksectionParams = Record<string, string | undefined>;

/** Hooks created with the admin API key belong to the account, not to a user. */
export const ADMIN_KEY_OWNER = 'worksection-admin-key';

export type WorksectionAnswer = { status: 'ok'; id?: number; data?: WorksectionHookView | WorksectionHookView[] };

/**
 * Worksection's webhook API over `WorksectionWebhooks`: who calls (the admin API's
 * `hash=md5(query + admin key)`, or a Bearer key with the `administrative` scope for
 * `/api/oauth2` and the settings page) and what each `action` does, answered in Worksection's
 * envelope.
 */
@Injectable()
export class WorksectionApi {
  constructor(
    private readonly webhooks: WorksectionWebhooks,
    private readonly authenticator: Authenticator,
    private readonly directory: PrincipalDirectory,
    private readonly principals: PrincipalsView,
    private readonly keys: WorksectionAdminKeyStore,
  ) {}

  /** `/api/admin/v2/?…&hash=…`: the tenant whose admin key signed the raw query (`host` names it, when it can). */
  async admin(q: WorksectionParams, rawQuery: string, host: string): Promise<WorksectionAnswer> {
    const given = q['hash'];
    if (!given) throw WorksectionFailure.of(WorksectionErrorCode.InvalidHash, 'Invalid hash', 'hash is required');
    const tenantId = await this.tenantOfHash(rawQuery, given, host);
    if (!tenantId) throw WorksectionFailure.of(WorksectionErrorCode.InvalidHash, 'Invalid hash');
    return this.run({ tenantId, userId: ADMIN_KEY_OWNER }, q);
  }

  /** `Authorization: Bearer hk_…` with the `administrative` scope. */
  bearer(authorization: string | undefined): WorksectionCaller {
    try {
      this.principals.assertCaughtUp();
      const p = this.authenticator.authenticateBearer(authorization);
      this.authenticator.requireAnyScope(p, ['administrative']);
      return { tenantId: p.tenantId, userId: p.userId };
    } catch (e) {
      if (e instanceof PrincipalsLoadingError) throw WorksectionFailure.of(503, 'Service is starting, retry shortly');
      if (e instanceof AuthenticationError || e instanceof MissingScopeError) throw WorksectionFailure.of(WorksectionErrorCode.InvalidHash, 'Invalid token', e.message);
      throw e;
    }
  }

  async run(caller: WorksectionCaller, q: WorksectionParams): Promise<WorksectionAnswer> {
    switch (q['action']) {
      case 'add_webhook':
        return { status: 'ok', id: (await this.webhooks.add(caller.tenantId, caller.userId, q, true)).externalId };
      case 'get_webhooks':
        return { status: 'ok', data: await this.webhooks.list(caller.tenantId) };
      case 'delete_webhook':
        await this.webhooks.remove(caller.tenantId, q['id']);
        return { status: 'ok' };
      case undefined:
      case '':
        throw WorksectionFailure.of(WorksectionErrorCode.MissingParameter, 'Missing required parameter', 'action');
      default:
        throw WorksectionFailure.of(WorksectionErrorCode.InvalidAction, 'Action is invalid', q['action']);
    }
  }

  /** The settings page's create: a JSON body (lists as arrays or comma lists); the hook starts disabled. */
  async settingsCreate(caller: WorksectionCaller, body: unknown): Promise<WorksectionAnswer> {
    const b = (body ?? {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const list = (v: unknown) => (Array.isArray(v) ? v.map(String).join(',') : text(v));
    const p: AddWebhookParams = { url: text(b['url']), events: list(b['events']), projects: list(b['projects']), http_user: text(b['http_user']), http_pass: text(b['http_pass']) };
    const s = await this.webhooks.add(caller.tenantId, caller.userId, p, false);
    return { status: 'ok', id: s.externalId, data: worksectionViewOf(s) };
  }

  async settingsEnable(caller: WorksectionCaller, id: string): Promise<WorksectionAnswer> {
    return { status: 'ok', data: worksectionViewOf(await this.webhooks.enable(caller.tenantId, id)) };
  }

  async settingsDisable(caller: WorksectionCaller, id: string): Promise<WorksectionAnswer> {
    return { status: 'ok', data: worksectionViewOf(await this.webhooks.disable(caller.tenantId, id)) };
  }

  /** The tenant whose admin key signed the query: the one the host names, else whichever key matches. */
  private async tenantOfHash(raw: string, given: string, host: string): Promise<string | null> {
    const name = host.split(':')[0];
    const named = name ? (this.directory.tenantByDomainOrSlug(name) ?? this.directory.tenantByDomainOrSlug(name.split('.')[0])) : undefined;
    if (named) {
      const key = await this.keys.find(named.tenantId);
      if (key && hashMatches(raw, key, given)) return named.tenantId;
    }
    for (const k of await this.keys.all()) if (hashMatches(raw, k.key, given)) return k.tenantId;
    return null;
  }
}
