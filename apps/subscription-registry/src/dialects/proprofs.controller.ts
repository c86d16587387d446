import { Controller, Delete, Headers, HttpCode, Param, Post, Req, UseFilters } from '@nestjs/common';
import { ProProfsDocs } from '@herald/registry/openapi';
import type { ProProfsSubscribed } from '@herald/dialects/proprofs';
import { ProProfsErrorFilter, ProProfsHooks, jsonBodyOf, type RawRequest } from '@herald/registry/dialect-proprofs';

/** ProProfs Project's REST hooks (`/v2/hooks`) with its `key` + `domain` headers (docs/dialects/proprofs.md). */
@ProProfsDocs.tags()
@Controller('v2/hooks')
@UseFilters(ProProfsErrorFilter)
export class ProProfsHooksController {
  constructor(private readonly hooks: ProProfsHooks) {}

  @ProProfsDocs.subscribe()
  @Post()
  @HttpCode(201)
  async subscribe(@Headers('key') key: string | undefined, @Headers('domain') domain: string | undefined, @Req() req: RawRequest): Promise<ProProfsSubscribed> {
    const p = this.hooks.authenticate(key, domain);
    return this.hooks.subscribe(p, await jsonBodyOf(req));
  }

  @ProProfsDocs.unsubscribe()
  @Delete(':id')
  @HttpCode(200)
  async unsubscribe(@Headers('key') key: string | undefined, @Headers('domain') domain: string | undefined, @Param('id') id: string): Promise<Record<string, never>> {
    await this.hooks.unsubscribe(this.hooks.authenticate(key, domain), id);
    return {};
  }
}
