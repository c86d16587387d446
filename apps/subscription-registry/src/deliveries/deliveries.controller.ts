import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import {
  GetDelivery,
  HookDirectory,
  RedeliverDelivery,
  RedriveDeadLetters,
  ReplayDeliveries,
  SearchDeliveries,
} from '@herald/registry/delivery-log';
import {
  BearerApiKeyGuard,
  CurrentPrincipal,
  RequireAnyScope,
  type AuthenticatedPrincipal,
} from '@herald/registry/principals';
import {
  DeliverySearchQuery,
  EmptyBody,
  ReplayBody,
  recordView,
  summaryView,
} from './deliveries.dto';
import { DeliveriesProblemFilter, NotFoundProblem, parseOr400 } from './problem.filter';

/**
 * A hook's delivery history and re-sending, on the native API (`Authorization: Bearer hk_…`,
 * tenant scoped: another tenant's hook or delivery is a 404).
 */
@Controller('v1')
@UseGuards(BearerApiKeyGuard)
@RequireAnyScope('webhooks', 'administrative')
@UseFilters(DeliveriesProblemFilter)
export class DeliveriesController {
  constructor(
    private readonly hooks: HookDirectory,
    private readonly search: SearchDeliveries,
    private readonly getDelivery: GetDelivery,
    private readonly redeliver: RedeliverDelivery,
    private readonly replay: ReplayDeliveries,
    private readonly redrive: RedriveDeadLetters,
  ) {}

  @Get('webhooks/:id/deliveries')
  async list(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Param('id') id: string,
    @Query() rawQuery: unknown,
  ) {
    const q = parseOr400(DeliverySearchQuery, rawQuery, 'query');
    const page = await this.search.execute({
      tenantId: p.tenantId,
      subscriptionId: id,
      filter: {
        statuses: q.status,
        resourceType: q.resourceName ?? q.resourceType,
        resourceId: q.resourceId,
        eventTypes: q.eventType,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
      },
      limit: q.limit,
      cursor: q.cursor,
    });
    // A deleted hook's history stays readable for the retention (why was it unsubscribed?).
    if (page.items.length === 0 && !q.cursor && !(await this.hooks.find(p.tenantId, id))) {
      throw new NotFoundProblem(`webhook ${id} not found`);
    }
    return { data: page.items.map(summaryView), nextCursor: page.nextCursor, limit: q.limit };
  }

  @Get('deliveries/:id')
  async get(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string) {
    const d = await this.getDelivery.execute({ tenantId: p.tenantId, deliveryId: id });
    if (!d) throw new NotFoundProblem(`delivery ${id} not found`);
    return recordView(d);
  }

  @Post('deliveries/:id/redeliver')
  @HttpCode(202)
  async redeliverOne(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    parseOr400(EmptyBody, body, 'body');
    const r = await this.redeliver.execute({ tenantId: p.tenantId, deliveryId: id });
    return {
      id: r.deliveryId,
      eventId: r.eventId,
      subscriptionId: r.subscriptionId,
      origin: 'redeliver',
      status: 'queued',
    };
  }

  @Post('webhooks/:id/replay')
  @HttpCode(202)
  async replayHook(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    const { since } = parseOr400(ReplayBody, body, 'body');
    const r = await this.replay.execute({
      tenantId: p.tenantId,
      subscriptionId: id,
      since: new Date(since),
    });
    return { subscriptionId: id, since, count: r.count };
  }

  @Post('webhooks/:id/dlq/redrive')
  @HttpCode(202)
  async redriveHook(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    parseOr400(EmptyBody, body, 'body');
    const r = await this.redrive.execute({ tenantId: p.tenantId, subscriptionId: id });
    return { subscriptionId: id, count: r.count, skipped: r.skipped };
  }
}
