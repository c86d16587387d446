import { Injectable } from '@nestjs/common';
import {
  URL_CHECK_MESSAGE,
  WORKSECTION_DEFAULT_POLICY,
  WorksectionErrorCode,
  commaList,
  coreEventTypesOf,
  isWorksectionEvent,
  worksectionEventsOf,
  worksectionStatusOf,
  type WorksectionEvent,
  type WorksectionHookView,
} from '@herald/dialects/worksection';
import {
  CreateSubscription,
  DeleteSubscription,
  DialectSubscriptions,
  DisableSubscription,
  EnableSubscription,
  SubscriptionError,
  type SubscriptionView,
} from '@herald/registry/subscriptions';
import { WorksectionFailure } from './worksection-errors';

export const WORKSECTION_DIALECT = 'worksection';

const fail = (code: number, message: string, details?: string): never => {
  throw WorksectionFailure.of(code, message, details);
};

export interface AddWebhookParams {
  url?: string;
  events?: string;
  http_user?: string;
  http_pass?: string;
  projects?: string;
}

/**
 * Worksection's webhook actions over the subscription core (dialect `worksection`, ids = the
 * subscriptions' external ids), shared by the admin-key API, the OAuth2 API and the settings page.
 */
@Injectable()
export class WorksectionWebhooks {
  constructor(
    private readonly createSubscription: CreateSubscription,
    private readonly deleteSubscription: DeleteSubscription,
    private readonly enableSubscription: EnableSubscription,
    private readonly disableSubscription: DisableSubscription,
    private readonly hooks: DialectSubscriptions,
  ) {}

  /**
   * add_webhook: the API checks the URL first (200 + {"status":"OK"} within 5 s, else error 11)
   * and the hook starts active; the settings page creates it disabled (checked when enabled).
   */
  async add(tenantId: string, ownerUserId: string, params: AddWebhookParams, enabled: boolean): Promise<SubscriptionView> {
    if (!params.url) fail(WorksectionErrorCode.MissingParameter, 'Missing required parameter', 'url');
    const events = commaList(params.events);
    if (!events.length) fail(WorksectionErrorCode.MissingParameter, 'Missing required parameter', 'events');
    const unknown = events.find((e) => !isWorksectionEvent(e));
    if (unknown !== undefined) fail(WorksectionErrorCode.InvalidParameter, 'Unknown event', unknown);
    const projects = commaList(params.projects);
    const url = params.url as string;
    try {
      const created = await this.createSubscription.execute({
        tenantId,
        ownerUserId,
        dialect: WORKSECTION_DIALECT,
        dialectDefaults: WORKSECTION_DEFAULT_POLICY,
        settings: {
          url,
          eventTypes: coreEventTypesOf(events as WorksectionEvent[]),
          scope: projects.length ? { kind: 'projects', projectIds: projects } : { kind: 'tenant' },
          payloadFormat: 'worksection',
          formatOptions: { events: [...new Set(events)] },
          basicAuth: params.http_user ? { user: params.http_user, password: params.http_pass ?? '' } : null,
        },
        initialStatus: enabled ? 'active' : 'disabled',
      });
      return created.subscription;
    } catch (e) {
      throw translate(e, url);
    }
  }

  async list(tenantId: string): Promise<WorksectionHookView[]> {
    return (await this.hooks.all(tenantId, WORKSECTION_DIALECT)).map(worksectionViewOf);
  }

  async remove(tenantId: string, id: string | undefined): Promise<void> {
    const s = await this.find(tenantId, id);
    await this.deleteSubscription.execute({ tenantId, subscription: { id: s.id } });
  }

  /** Enabling re-checks the URL (error 11 when it does not answer {"status":"OK"}). */
  async enable(tenantId: string, id: string): Promise<SubscriptionView> {
    const s = await this.find(tenantId, id);
    try {
      return await this.enableSubscription.execute({ tenantId, subscription: { id: s.id } });
    } catch (e) {
      throw translate(e, s.url);
    }
  }

  async disable(tenantId: string, id: string): Promise<SubscriptionView> {
    const s = await this.find(tenantId, id);
    return this.disableSubscription.execute({ tenantId, subscription: { id: s.id }, reason: 'disabled in the settings' });
  }

  async find(tenantId: string, id: string | undefined): Promise<SubscriptionView> {
    if (!id) return fail(WorksectionErrorCode.MissingParameter, 'Missing required parameter', 'id');
    return (await this.hooks.byExternalId(tenantId, WORKSECTION_DIALECT, id)) ?? fail(WorksectionErrorCode.NotFound, 'Webhook not found', id);
  }
}

/** The core's refusals in Worksection's words: a URL that fails the check is error 11. */
function translate(e: unknown, url: string): unknown {
  if (!(e instanceof SubscriptionError)) return e;
  const urlCheck = e.kind === 'verification-failed' || e.kind === 'url-refused' || (e.kind === 'validation' && /(^|; )url: /.test(e.message));
  if (urlCheck) return WorksectionFailure.of(WorksectionErrorCode.UrlCheckFailed, URL_CHECK_MESSAGE, url);
  return WorksectionFailure.of(WorksectionErrorCode.InvalidParameter, 'Invalid parameter', e.message);
}

export function worksectionViewOf(s: SubscriptionView): WorksectionHookView {
  const given = s.formatOptions['events'];
  const events = Array.isArray(given) ? (given as string[]) : worksectionEventsOf(s.eventTypes);
  const view: WorksectionHookView = { id: String(s.externalId), url: s.url, events: events.join(','), status: worksectionStatusOf(s.status) };
  if (s.scope.kind === 'projects') view.projects = s.scope.projectIds.join(',');
  return view;
}
