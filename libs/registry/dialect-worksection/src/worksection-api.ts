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

  /**
   * `https://<account>/api/admin/v2/?…&hash=…`: the account the Host names (its domain, or its
   * slug as the first label), if its admin key signed the raw query. Only that one key is opened:
   * a wrong hash costs one decryption, and a Host that names no account none (no key is tried
   * against the hash — which would cost one decryption per tenant and say whose key it is).
   */
  async admin(q: WorksectionParams, rawQuery: string, host: string): Promise<WorksectionAnswer> {
    const given = q['hash'];
    if (!given) throw WorksectionFailure.of(WorksectionErrorCode.InvalidHash, 'Invalid hash', 'hash is required');
    const named = this.accountOf(host);
    if (!named) throw WorksectionFailure.of(WorksectionErrorCode.InvalidHash, 'Invalid hash', 'the Host names no account (its domain, or <slug>.<host>)');
    const key = await this.keys.find(named);
    if (!key || !hashMatches(rawQuery, key, given)) throw WorksectionFailure.of(WorksectionErrorCode.InvalidHash, 'Invalid hash');
    return this.run({ tenantId: named, userId: ADMIN_KEY_OWNER }, q);
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

  /** The tenant id of the account a Host names: its domain, else its slug as the first label. */
  private accountOf(host: string): string | undefined {
    const name = host.split(':')[0];
    if (!name) return undefined;
    return (this.directory.tenantByDomainOrSlug(name) ?? this.directory.tenantByDomainOrSlug(name.split('.')[0]))?.tenantId;
  }
}
