import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { PpmWebhook } from '@herald/dialects/ppm-express';
import { PpmErrorFilter, PpmWebhooks } from '@herald/registry/dialect-ppm-express';

/** PPM Express' Webhooks API (`/@{tenant}/{apiVersion}/Webhooks`, Bearer token; docs/dialects/ppm-express.md). */
@ApiExcludeController()
@Controller('@:tenant/:apiVersion/Webhooks')
@UseFilters(PpmErrorFilter)
export class PpmWebhooksController {
  constructor(private readonly webhooks: PpmWebhooks) {}

  @Post()
  @HttpCode(200)
  async create(@Param('tenant') tenant: string, @Param('apiVersion') v: string, @Headers('authorization') auth: string | undefined, @Body() body: unknown): Promise<{ data: PpmWebhook }> {
    return { data: await this.webhooks.create(this.webhooks.authenticate(tenant, v, auth), body) };
  }

  @Get()
  async list(@Param('tenant') tenant: string, @Param('apiVersion') v: string, @Headers('authorization') auth: string | undefined): Promise<{ data: PpmWebhook[] }> {
    return { data: await this.webhooks.list(this.webhooks.authenticate(tenant, v, auth)) };
  }

  @Get(':id')
  async get(@Param('tenant') tenant: string, @Param('apiVersion') v: string, @Param('id') id: string, @Headers('authorization') auth: string | undefined): Promise<{ data: PpmWebhook }> {
    return { data: await this.webhooks.get(this.webhooks.authenticate(tenant, v, auth), id) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('tenant') tenant: string, @Param('apiVersion') v: string, @Param('id') id: string, @Headers('authorization') auth: string | undefined): Promise<void> {
    await this.webhooks.remove(this.webhooks.authenticate(tenant, v, auth), id);
  }

  @Delete()
  @HttpCode(204)
  async removeAll(@Param('tenant') tenant: string, @Param('apiVersion') v: string, @Headers('authorization') auth: string | undefined): Promise<void> {
    await this.webhooks.removeAll(this.webhooks.authenticate(tenant, v, auth));
  }
}
