import { ArgumentsHost, Body, Catch, Controller, ExceptionFilter, Get, HttpCode, HttpException, Inject, Logger, Param, Post, Req, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  WorksectionErrorCode,
  hashMatches,
  worksectionError,
} from '@herald/dialects/worksection';
import { AuthenticationError, Authenticator, MissingScopeError, PrincipalDirectory, PrincipalsView } from '@herald/registry/principals';
import { WorksectionAdminKeyStore } from './worksection-admin-keys';
import { WorksectionFailure, WorksectionWebhooks, viewOf, type AddWebhookParams } from './worksection-webhooks.service';

/** Who acts: the tenant, and the user a hook is owned by (the admin key stands for the account). */
interface Caller {
  tenantId: string;
  userId: string;
}

interface Request {
  originalUrl: string;
  url: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** Hooks created with the admin API key belong to the account, not to a user. */
export const ADMIN_KEY_OWNER = 'worksection-admin-key';

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const params = (req: Request): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined]));

/** Every failure of the dialect in Worksection's envelope (HTTP 200, as Worksection answers). */
@Catch()
export class WorksectionErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('WorksectionErrorFilter');

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<{ status(c: number): { json(b: unknown): void } }>();
    if (e instanceof WorksectionFailure) return res.status(200).json(e.body);
    if (e instanceof HttpException) return res.status(200).json(worksectionError(WorksectionErrorCode.InvalidParameter, e.message));
    this.logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    res.status(500).json(worksectionError(500, 'Internal error'));
  }
}

/**
 * Worksection's webhook API: `/api/admin/v2/?action=…&hash=md5(query + admin key)` and
 * `/api/oauth2?action=…` with a Bearer key holding the `administrative` scope; plus the calls of
 * the account settings page (`/api/settings/webhooks…`, Bearer): hooks created there start
 * disabled and are checked when enabled.
 */
@ApiExcludeController()
@Controller('api')
@UseFilters(WorksectionErrorFilter)
export class WorksectionController {
  constructor(
    private readonly webhooks: WorksectionWebhooks,
    private readonly authenticator: Authenticator,
    private readonly directory: PrincipalDirectory,
    private readonly view: PrincipalsView,
    @Inject(WorksectionAdminKeyStore) private readonly keys: WorksectionAdminKeyStore,
  ) {}

  @Get('admin/v2')
  @HttpCode(200)
  adminGet(@Req() req: Request) {
    return this.admin(req);
  }

  @Post('admin/v2')
  @HttpCode(200)
  adminPost(@Req() req: Request) {
    return this.admin(req);
  }

  @Get('oauth2')
  @HttpCode(200)
  oauthGet(@Req() req: Request) {
    return this.run(this.bearer(req, 'administrative'), params(req));
  }

  @Post('oauth2')
  @HttpCode(200)
  oauthPost(@Req() req: Request) {
    return this.run(this.bearer(req, 'administrative'), params(req));
  }

  /* ---- the settings page ---- */

  @Post('settings/webhooks')
  @HttpCode(200)
  async settingsCreate(@Req() req: Request, @Body() body: unknown) {
    const caller = this.bearer(req, 'administrative');
    const b = (body ?? {}) as Record<string, unknown>;
    const list = (v: unknown) => (Array.isArray(v) ? v.map(String).join(',') : typeof v === 'string' ? v : undefined);
    const p: AddWebhookParams = {
      url: typeof b['url'] === 'string' ? b['url'] : undefined,
      events: list(b['events']),
      projects: list(b['projects']),
      http_user: typeof b['http_user'] === 'string' ? b['http_user'] : undefined,
      http_pass: typeof b['http_pass'] === 'string' ? b['http_pass'] : undefined,
    };
    const s = await this.webhooks.add(caller.tenantId, caller.userId, p, false);
    return { status: 'ok', id: s.externalId, data: viewOf(s) };
  }

  @Post('settings/webhooks/:id/enable')
  @HttpCode(200)
  async settingsEnable(@Req() req: Request, @Param('id') id: string) {
    const caller = this.bearer(req, 'administrative');
    return { status: 'ok', data: viewOf(await this.webhooks.enable(caller.tenantId, id)) };
  }

  @Post('settings/webhooks/:id/disable')
  @HttpCode(200)
  async settingsDisable(@Req() req: Request, @Param('id') id: string) {
    const caller = this.bearer(req, 'administrative');
    return { status: 'ok', data: viewOf(await this.webhooks.disable(caller.tenantId, id)) };
  }

  /* ---- shared ---- */

  private async admin(req: Request) {
    const q = params(req);
    const raw = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const given = q['hash'];
    if (!given) throw new WorksectionFailure(worksectionError(WorksectionErrorCode.InvalidHash, 'Invalid hash', 'hash is required'));
    const tenantId = await this.tenantOfHash(req, raw, given);
    if (!tenantId) throw new WorksectionFailure(worksectionError(WorksectionErrorCode.InvalidHash, 'Invalid hash'));
    return this.run({ tenantId, userId: ADMIN_KEY_OWNER }, q);
  }

  /** The tenant whose admin key signed the query: the one the Host names, else whichever key matches. */
  private async tenantOfHash(req: Request, raw: string, given: string): Promise<string | null> {
    const host = (header(req, 'x-forwarded-host') ?? header(req, 'host') ?? '').split(':')[0];
    const named = host ? this.directory.tenantByDomainOrSlug(host) ?? this.directory.tenantByDomainOrSlug(host.split('.')[0]) : undefined;
    if (named) {
      const key = await this.keys.find(named.tenantId);
      if (key && hashMatches(raw, key, given)) return named.tenantId;
    }
    for (const k of await this.keys.all()) if (hashMatches(raw, k.key, given)) return k.tenantId;
    return null;
  }

  private bearer(req: Request, scope: 'administrative'): Caller {
    if (!this.view.isCaughtUp) throw new WorksectionFailure(worksectionError(503, 'Service is starting, retry shortly'));
    try {
      const p = this.authenticator.authenticateBearer(header(req, 'authorization'));
      this.authenticator.requireAnyScope(p, [scope]);
      return { tenantId: p.tenantId, userId: p.userId };
    } catch (e) {
      if (e instanceof AuthenticationError || e instanceof MissingScopeError) {
        throw new WorksectionFailure(worksectionError(WorksectionErrorCode.InvalidHash, 'Invalid token', e.message));
      }
      throw e;
    }
  }

  private async run(caller: Caller, q: Record<string, string | undefined>) {
    switch (q['action']) {
      case 'add_webhook': {
        const s = await this.webhooks.add(caller.tenantId, caller.userId, q, true);
        return { status: 'ok', id: s.externalId };
      }
      case 'get_webhooks':
        return { status: 'ok', data: await this.webhooks.list(caller.tenantId) };
      case 'delete_webhook':
        await this.webhooks.remove(caller.tenantId, q['id']);
        return { status: 'ok' };
      case undefined:
      case '':
        throw new WorksectionFailure(worksectionError(WorksectionErrorCode.MissingParameter, 'Missing required parameter', 'action'));
      default:
        throw new WorksectionFailure(worksectionError(WorksectionErrorCode.InvalidAction, 'Action is invalid', q['action']));
    }
  }
}
