import {
  applyDecorators,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { DELIVERY_STATUSES } from '@herald/contracts';
import {
  DELIVERY_CURSOR_PATTERN,
  deliveriesOpenApi,
  DeliveriesProblemFilter,
  DeliverySearchQuery,
  DeliveryStatsReader,
  EmptyBody,
  EVENT_TYPE_FILTER,
  GetDelivery,
  HookDirectory,
  JobListQuery,
  NO_NUL,
  jobView,
  NotFoundProblem,
  ParseOr400Pipe,
  type ParsedDeliverySearchQuery,
  type ParsedJobListQuery,
  type ParsedReplayBody,
  type ParsedStatsQuery,
  recordView,
  RedeliverDelivery,
  ReplayBody,
  ResendJobsRepository,
  SearchDeliveries,
  StartResendJob,
  type StartResendJobCommand,
  StatsQuery,
  summaryView,
} from '@herald/registry/delivery-log';
import {
  BearerApiKeyGuard,
  CurrentPrincipal,
  RequireAnyScope,
  type AuthenticatedPrincipal,
} from '@herald/registry/principals';

/** A response whose `Location` a route sets. */
type Located = { setHeader(name: string, value: string): void };

/** What starting a replay or a redrive job answers: 202 with the job at once, or why it cannot start. */
const StartsJob = () =>
  applyDecorators(
    HttpCode(202),
    ApiResponse({ status: 202, schema: deliveriesOpenApi.job }),
    ApiResponse({ status: 409, description: 'The webhook is disabled, or already has an unfinished job (`activeJob`)' }),
    ApiResponse({ status: 429, description: 'The tenant has too many unfinished jobs' }),
  );

/**
 * A hook's delivery history and re-sending, on the native API (`Authorization: Bearer hk_…`,
 * tenant scoped: another tenant's hook or delivery is a 404).
 */
@ApiTags('deliveries')
@ApiBearerAuth('bearer')
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
    private readonly startJob: StartResendJob,
    private readonly jobs: ResendJobsRepository,
    private readonly stats: DeliveryStatsReader,
  ) {}

  @Get('webhooks/:id/stats')
  @ApiOperation({
    summary: "A webhook's attempts and latency over the last hours (charts)",
    description:
      'From a per-minute rollup kept with the delivery log (2 days): attempts by outcome, success rate, ' +
      'p50/p99 latency (read from a histogram: within ~15%) and the latest attempt, plus a series per bucket.',
  })
  @ApiQuery({ name: 'hours', required: false, schema: { type: 'integer', minimum: 1, maximum: 48, default: 24 } })
  @ApiQuery({ name: 'bucketMinutes', required: false, schema: { enum: [1, 5, 10, 15, 30, 60], default: 10 } })
  @ApiResponse({ status: 200, schema: deliveriesOpenApi.stats })
  async hookStats(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Param('id') id: string,
    @Query(new ParseOr400Pipe(StatsQuery, 'query')) q: ParsedStatsQuery,
  ) {
    if (!(await this.hooks.find(p.tenantId, id))) throw new NotFoundProblem(`webhook ${id} not found`);
    // Whole buckets: the window ends at the end of the current bucket.
    const step = q.bucketMinutes * 60_000;
    const to = new Date(Math.ceil((Date.now() + 1) / step) * step);
    const from = new Date(to.getTime() - q.hours * 3_600_000);
    const [summary, series] = await Promise.all([
      this.stats.summaries(p.tenantId, [id], { from, to }),
      this.stats.series(p.tenantId, id, { from, to }, q.bucketMinutes),
    ]);
    return {
      subscriptionId: id,
      window: { from: from.toISOString(), to: to.toISOString(), bucketMinutes: q.bucketMinutes },
      summary: summary.get(id),
      series,
    };
  }

  @Get('webhooks/:id/deliveries')
  @ApiOperation({
    summary: "A webhook's delivery history (28 days)",
    description: 'Newest first; filters combine; pass nextCursor as cursor for the next page.',
  })
  @ApiQuery({
    name: 'status',
    required: false,
    description: `comma-separated: ${DELIVERY_STATUSES.join(', ')}`,
    style: 'form',
    explode: false,
    schema: { type: 'array', minItems: 1, items: { enum: [...DELIVERY_STATUSES] } },
  })
  @ApiQuery({
    name: 'resourceName',
    required: false,
    description: 'resource type: task, project, …',
    schema: { type: 'string', minLength: 1, maxLength: 100, pattern: NO_NUL.source },
  })
  @ApiQuery({ name: 'resourceId', required: false, schema: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL.source } })
  @ApiQuery({
    name: 'eventType',
    required: false,
    description: 'comma-separated event types',
    style: 'form',
    explode: false,
    schema: { type: 'array', minItems: 1, items: { type: 'string', maxLength: 100, pattern: EVENT_TYPE_FILTER.source } },
  })
  @ApiQuery({ name: 'from', required: false, description: 'RFC 3339, inclusive', schema: { type: 'string', format: 'date-time' } })
  @ApiQuery({
    name: 'to',
    required: false,
    description: 'RFC 3339, exclusive (a window that ends before it starts is an empty page)',
    schema: { type: 'string', format: 'date-time' },
  })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  })
  @ApiQuery({
    name: 'cursor',
    required: false,
    description: "The previous page's nextCursor (<microseconds>_<delivery id>: any such position is a page)",
    schema: { type: 'string', pattern: DELIVERY_CURSOR_PATTERN.source },
  })
  @ApiResponse({ status: 200, schema: deliveriesOpenApi.page })
  async list(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Param('id') id: string,
    @Query(new ParseOr400Pipe(DeliverySearchQuery, 'query')) q: ParsedDeliverySearchQuery,
  ) {
    const page = await this.search.execute({
      tenantId: p.tenantId,
      subscriptionId: id,
      filter: {
        statuses: q.status,
        resourceType: q.resourceName ?? q.resourceType,
        resourceId: q.resourceId,
        eventTypes: q.eventType,
        from: q.from,
        to: q.to,
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
  @ApiOperation({ summary: 'One delivery: what was sent and every attempt' })
  @ApiResponse({ status: 200, schema: deliveriesOpenApi.delivery })
  async get(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string) {
    const d = await this.getDelivery.execute({ tenantId: p.tenantId, deliveryId: id });
    if (!d) throw new NotFoundProblem(`delivery ${id} not found`);
    return recordView(d);
  }

  @Post('deliveries/:id/redeliver')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send the same body again (same event id, so the same webhook-id) as a new delivery',
  })
  @ApiResponse({ status: 202, schema: deliveriesOpenApi.redelivered })
  async redeliverOne(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Param('id') id: string,
    @Body(new ParseOr400Pipe(EmptyBody, 'body')) _body: unknown,
  ) {
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
  @ApiOperation({
    summary: 'Re-send every event this webhook was sent since a time, once each (a job)',
    description:
      'Answers 202 with the job at once (Location: its URL); the job produces in bounded, rate-limited batches. ' +
      'One replay or redrive job per webhook at a time (409 names the running one); 429 when the tenant has too many.',
  })
  @ApiBody({ schema: deliveriesOpenApi.replayBody })
  @StartsJob()
  async replayHook(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Param('id') id: string,
    @Body(new ParseOr400Pipe(ReplayBody, 'body')) { since }: ParsedReplayBody,
    @Res({ passthrough: true }) res: Located,
  ) {
    return this.started(res, { tenantId: p.tenantId, subscriptionId: id, kind: 'replay', since });
  }

  @Post('webhooks/:id/dlq/redrive')
  @ApiOperation({
    summary: "Send this webhook's dead-lettered deliveries again (each once), attempts reset (a job)",
    description:
      'Answers 202 with the job at once (Location: its URL); the job reads the DLQ a fetch batch at a time and ' +
      'produces in bounded, rate-limited batches. One job per webhook at a time.',
  })
  @StartsJob()
  async redriveHook(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Param('id') id: string,
    @Body(new ParseOr400Pipe(EmptyBody, 'body')) _body: unknown,
    @Res({ passthrough: true }) res: Located,
  ) {
    return this.started(res, { tenantId: p.tenantId, subscriptionId: id, kind: 'redrive' });
  }

  /** Starts the job and answers it, its URL as `Location`. */
  private async started(res: Located, command: StartResendJobCommand) {
    const view = jobView(await this.startJob.execute(command));
    res.setHeader('Location', view.href);
    return view;
  }

  @Get('webhooks/:id/jobs')
  @ApiOperation({ summary: "A webhook's replay and redrive jobs, newest first" })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } })
  @ApiResponse({ status: 200, schema: deliveriesOpenApi.jobList })
  async listJobs(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Param('id') id: string,
    @Query(new ParseOr400Pipe(JobListQuery, 'query')) q: ParsedJobListQuery,
  ) {
    const jobs = await this.jobs.list(p.tenantId, id, q.limit);
    if (jobs.length === 0 && !(await this.hooks.find(p.tenantId, id))) {
      throw new NotFoundProblem(`webhook ${id} not found`);
    }
    return { data: jobs.map(jobView) };
  }

  @Get('webhooks/:id/jobs/:jobId')
  @ApiOperation({ summary: 'One replay or redrive job: state, counts, progress, error' })
  @ApiResponse({ status: 200, schema: deliveriesOpenApi.job })
  async getJob(
    @CurrentPrincipal() p: AuthenticatedPrincipal,
    @Param('id') id: string,
    @Param('jobId') jobId: string,
  ) {
    const job = await this.jobs.get(p.tenantId, id, jobId);
    if (!job) throw new NotFoundProblem(`job ${jobId} of webhook ${id} not found`);
    return jobView(job);
  }
}
