import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { SUBSCRIPTION_STATUSES } from '@herald/contracts';
import { BearerApiKeyGuard, CurrentPrincipal, RequireAnyScope, type AuthenticatedPrincipal } from '@herald/registry/principals';
import {
  CreateSubscription,
  DeleteSubscription,
  DisableSubscription,
  EnableSubscription,
  GetSubscription,
  ListSubscriptions,
  CURSOR_PATTERN,
  MAX_PAGE_SIZE,
  RotateSigningSecret,
  TestSubscription,
  UpdateSubscription,
  openApiSchemas,
  parseOrThrow,
  type SubscriptionView,
} from '@herald/registry/subscriptions';
import { DeliveryStatsReader, type HookStatsSummary } from '@herald/registry/delivery-log';

const ListQuerySchema = z.strictObject({
  status: z.enum(SUBSCRIPTION_STATUSES).optional(),
  // Text PostgreSQL can compare: a NUL in it was a 500.
  // eslint-disable-next-line no-control-regex -- NUL is what this pattern is about
  eventType: z.string().min(1).max(200).regex(/^[^\u0000]*$/, 'must not contain NUL').optional(),
  limit: z.string().regex(/^[0-9]{1,4}$/, 'an integer').transform(Number).pipe(z.number().int().min(1).max(MAX_PAGE_SIZE)).optional(),
  cursor: z.string().regex(CURSOR_PATTERN, 'not a cursor this API gives out (digits)').optional(),
  /** `stats`: each hook with its 24 h attempts, success rate, p50/p99 and latest attempt. */
  include: z.literal('stats').optional(),
});

/** The native create body: the settings, plus whether the hook starts enabled (default true). */
const CreateBodySchema = z.looseObject({ enabled: z.boolean().optional() });

const noBody = (body: unknown) => {
  if (body !== undefined && body !== null && !(typeof body === 'object' && Object.keys(body).length === 0)) {
    parseOrThrow(z.strictObject({}), body);
  }
};

/** An action on one webhook: `POST /v1/webhooks/{id}/<action>`, no body, 200 with `answer`. */
const HookAction = (action: string, answer: SchemaObject, operation?: { summary: string; description: string }) =>
  applyDecorators(
    Post(`:id/${action}`),
    HttpCode(200),
    ...(operation ? [ApiOperation(operation)] : []),
    ApiResponse({ status: 200, schema: answer }),
  );

/**
 * The native webhook API (`/v1/webhooks`): every route is one use case of the subscription
 * core, called exactly as the dialects call it. Needs a key with the `webhooks` or
 * `administrative` scope; another tenant's hook does not exist (404).
 */
@ApiTags('webhooks')
@ApiBearerAuth('bearer')
@Controller('v1/webhooks')
@UseGuards(BearerApiKeyGuard)
@RequireAnyScope('webhooks', 'administrative')
export class WebhooksController {
  constructor(
    private readonly createSubscription: CreateSubscription,
    private readonly updateSubscription: UpdateSubscription,
    private readonly deleteSubscription: DeleteSubscription,
    private readonly enableSubscription: EnableSubscription,
    private readonly disableSubscription: DisableSubscription,
    private readonly rotateSigningSecret: RotateSigningSecret,
    private readonly testSubscription: TestSubscription,
    private readonly listSubscriptions: ListSubscriptions,
    private readonly getSubscription: GetSubscription,
    private readonly stats: DeliveryStatsReader,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a webhook', description: 'Only url and eventTypes are required. The answer shows the signing secret once.' })
  @ApiBody({ schema: openApiSchemas.createBody })
  @ApiResponse({ status: 201, schema: openApiSchemas.createdWebhook })
  async create(@CurrentPrincipal() p: AuthenticatedPrincipal, @Body() body: unknown): Promise<SubscriptionView & { signingSecret: string }> {
    const { enabled, ...settings } = parseOrThrow(CreateBodySchema, body ?? undefined);
    const created = await this.createSubscription.execute({
      tenantId: p.tenantId,
      ownerUserId: p.userId,
      dialect: 'native',
      settings,
      initialStatus: enabled === false ? 'disabled' : 'active',
    });
    return { ...created.subscription, signingSecret: created.signingSecret };
  }

  @Get()
  @ApiOperation({ summary: "List the tenant's webhooks", description: 'Oldest first; pass nextCursor as cursor for the next page.' })
  @ApiQuery({ name: 'status', required: false, enum: SUBSCRIPTION_STATUSES })
  @ApiQuery({ name: 'eventType', required: false, schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\u0000]*$' } })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, schema: { type: 'string', pattern: CURSOR_PATTERN.source }, description: "The previous page's nextCursor" })
  @ApiQuery({ name: 'include', required: false, enum: ['stats'], description: 'stats: each hook with its last 24 h (attempts, success rate, p50/p99 latency, latest attempt)' })
  @ApiResponse({ status: 200, schema: openApiSchemas.webhookPage })
  async list(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Query() query: unknown,
  ): Promise<{ data: (SubscriptionView & { stats?: HookStatsSummary })[]; nextCursor: string | null }> {
    const { include, ...q } = parseOrThrow(ListQuerySchema, query);
    const page = await this.listSubscriptions.execute({ tenantId: p.tenantId, ...q });
    if (include !== 'stats') return { data: page.items, nextCursor: page.nextCursor };
    const to = new Date();
    const stats = await this.stats.summaries(
      p.tenantId,
      page.items.map((h) => h.id),
      { from: new Date(to.getTime() - 86_400_000), to },
    );
    return { data: page.items.map((h) => ({ ...h, stats: stats.get(h.id) })), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiResponse({ status: 200, schema: openApiSchemas.webhook })
  get(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string): Promise<SubscriptionView> {
    return this.getSubscription.execute({ tenantId: p.tenantId, subscription: { id } });
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change settings', description: 'Fields left out keep their value (no body: nothing changes); payloadFormat cannot change.' })
  // Optional, as the handler takes it (fuzz:api: a PATCH without a body was answered 200 where the document required one).
  @ApiBody({ schema: openApiSchemas.patchBody, required: false })
  @ApiResponse({ status: 200, schema: openApiSchemas.webhook })
  update(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string, @Body() body: unknown): Promise<SubscriptionView> {
    return this.updateSubscription.execute({ tenantId: p.tenantId, subscription: { id }, patch: body ?? {} });
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string): Promise<void> {
    await this.deleteSubscription.execute({ tenantId: p.tenantId, subscription: { id } });
  }

  @HookAction('enable', openApiSchemas.webhook, { summary: 'Enable', description: 'A status-ok hook must answer 200 + {"status":"OK"} within 5 s first.' })
  @ApiResponse({ status: 422, description: 'A status-ok hook did not answer 200 + {"status":"OK"} (endpoint-verification-failed)' })
  enable(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string, @Body() body: unknown): Promise<SubscriptionView> {
    noBody(body);
    return this.enableSubscription.execute({ tenantId: p.tenantId, subscription: { id } });
  }

  @HookAction('disable', openApiSchemas.webhook)
  disable(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string, @Body() body: unknown): Promise<SubscriptionView> {
    noBody(body);
    return this.disableSubscription.execute({ tenantId: p.tenantId, subscription: { id } });
  }

  @HookAction('test', openApiSchemas.testResult, { summary: 'Send a signed webhook.test event now', description: "Returns the receiver's answer." })
  async test(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string, @Body() body: unknown) {
    noBody(body);
    const r = await this.testSubscription.execute({ tenantId: p.tenantId, subscription: { id } });
    return {
      ok: r.ok,
      webhookId: r.webhookId,
      eventType: r.eventType,
      httpStatus: r.httpStatus,
      durationMs: r.durationMs,
      bodyExcerpt: r.bodyExcerpt,
      errorClass: r.errorClass,
      errorMessage: r.errorMessage,
    };
  }

  @HookAction('rotate-secret', openApiSchemas.createdWebhook, {
    summary: 'Rotate the signing secret',
    description: 'The new secret is shown once; the previous one keeps signing for 24 h.',
  })
  async rotate(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string, @Body() body: unknown) {
    noBody(body);
    const r = await this.rotateSigningSecret.execute({ tenantId: p.tenantId, subscription: { id } });
    return { ...r.subscription, signingSecret: r.signingSecret };
  }
}
