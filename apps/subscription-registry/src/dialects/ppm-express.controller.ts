import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, UseFilters } from '@nestjs/common';
import { PpmExpressDocs } from '@herald/registry/openapi';
import type { PpmWebhook } from '@herald/dialects/ppm-express';
import { PpmErrorFilter, PpmWebhooks } from '@herald/registry/dialect-ppm-express';

/** PPM Express' Webhooks API (`/@{tenant}/{apiVersion}/Webhooks`, Bearer token; docs/dialects/ppm-express.md). */
@PpmExpressDocs.tags()
@Controller('@:tenant/:apiVersion/Webhooks')
@UseFilters(PpmErrorFilter)
export class PpmWebhooksController {
  constructor(private readonly webhooks: PpmWebhooks) {}

  @PpmExpressDocs.create()
  @Post()
  @HttpCode(200)
  async create(@Param('tenant') tenant: string, @Param('apiVersion') v: string, @Headers('authorization') auth: string | undefined, @Body() body: unknown): Promise<{ data: PpmWebhook }> {
    return { data: await this.webhooks.create(this.webhooks.authenticate(tenant, v, auth), body) };
  }

  @PpmExpressDocs.list()
  @Get()
  async list(@Param('tenant') tenant: string, @Param('apiVersion') v: string, @Headers('authorization') auth: string | undefined): Promise<{ data: PpmWebhook[] }> {
    return { data: await this.webhooks.list(this.webhooks.authenticate(tenant, v, auth)) };
  }

  @PpmExpressDocs.get()
  @Get(':id')
  async get(@Param('tenant') tenant: string, @Param('apiVersion') v: string, @Param('id') id: string, @Headers('authorization') auth: string | undefined): Promise<{ data: PpmWebhook }> {
    return { data: await this.webhooks.get(this.webhooks.authenticate(tenant, v, auth), id) };
  }

  @PpmExpressDocs.remove()
  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('tenant') tenant: string, @Param('apiVersion') v: string, @Param('id') id: string, @Headers('authorization') auth: string | undefined): Promise<void> {
    await this.webhooks.remove(this.webhooks.authenticate(tenant, v, auth), id);
  }

  @PpmExpressDocs.removeAll()
  @Delete()
  @HttpCode(204)
  async removeAll(@Param('tenant') tenant: string, @Param('apiVersion') v: string, @Headers('authorization') auth: string | undefined): Promise<void> {
    await this.webhooks.removeAll(this.webhooks.authenticate(tenant, v, auth));
  }
}
