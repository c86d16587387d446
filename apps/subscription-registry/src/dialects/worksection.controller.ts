import { Body, Controller, Get, HttpCode, Param, Post, Req, UseFilters } from '@nestjs/common';
import { WorksectionDocs } from '@herald/registry/openapi';
import { WorksectionApi, WorksectionErrorFilter, type WorksectionParams } from '@herald/registry/dialect-worksection';

interface Request {
  originalUrl: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const params = (req: Request): WorksectionParams =>
  Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined]));

const rawQuery = (req: Request) => (req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '');

/**
 * Worksection's webhook API: `/api/admin/v2/?action=…&hash=…`, `/api/oauth2?action=…` (Bearer) and
 * the account settings page's calls (`/api/settings/webhooks…`, Bearer). docs/dialects/worksection.md.
 */
@WorksectionDocs.tags()
@Controller('api')
@UseFilters(WorksectionErrorFilter)
export class WorksectionController {
  constructor(private readonly api: WorksectionApi) {}

  @WorksectionDocs.admin()
  @Get('admin/v2')
  @HttpCode(200)
  adminGet(@Req() req: Request) {
    return this.api.admin(params(req), rawQuery(req), header(req, 'x-forwarded-host') ?? header(req, 'host') ?? '');
  }

  @WorksectionDocs.admin()
  @Post('admin/v2')
  @HttpCode(200)
  adminPost(@Req() req: Request) {
    return this.adminGet(req);
  }

  @WorksectionDocs.oauth()
  @Get('oauth2')
  @HttpCode(200)
  oauthGet(@Req() req: Request) {
    return this.api.run(this.api.bearer(header(req, 'authorization')), params(req));
  }

  @WorksectionDocs.oauth()
  @Post('oauth2')
  @HttpCode(200)
  oauthPost(@Req() req: Request) {
    return this.oauthGet(req);
  }

  @WorksectionDocs.settingsCreate()
  @Post('settings/webhooks')
  @HttpCode(200)
  settingsCreate(@Req() req: Request, @Body() body: unknown) {
    return this.api.settingsCreate(this.api.bearer(header(req, 'authorization')), body);
  }

  @WorksectionDocs.settingsToggle('Enable')
  @Post('settings/webhooks/:id/enable')
  @HttpCode(200)
  settingsEnable(@Req() req: Request, @Param('id') id: string) {
    return this.api.settingsEnable(this.api.bearer(header(req, 'authorization')), id);
  }

  @WorksectionDocs.settingsToggle('Disable')
  @Post('settings/webhooks/:id/disable')
  @HttpCode(200)
  settingsDisable(@Req() req: Request, @Param('id') id: string) {
    return this.api.settingsDisable(this.api.bearer(header(req, 'authorization')), id);
  }
}
