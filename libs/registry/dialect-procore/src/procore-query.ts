import { PROCORE_MAX_PAGE, PROCORE_MAX_PER_PAGE } from '@herald/dialects/procore';
import { ProcoreHttpError } from './procore-errors';

/** Filters and page of a hook's deliveries, as the query string gives them. */
export interface DeliveryQuery {
  statuses?: string;
  resourceName?: string;
  eventType?: string;
  start?: string;
  end?: string;
  page: number;
  perPage: number;
}

type Query = Record<string, unknown>;

/** `filter[status]` whether the query parser kept the brackets in the key or nested them. */
export function bracketParam(q: Query, group: string, key: string): string | undefined {
  const flat = q[`${group}[${key}]`];
  if (typeof flat === 'string') return flat;
  const nested = q[group];
  if (nested && typeof nested === 'object') {
    const v = (nested as Record<string, unknown>)[key];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

export function str(q: Query, key: string): string | undefined {
  const v = q[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * A paging parameter: absent (or empty) is the fallback; anything else must be a whole number from
 * 1 to max, written in digits, given once. A bad or huge value is Procore's 400 naming the parameter
 * (it was silently replaced: `page=abc` was page 1, `per_page=5000` was 1000 — a client never
 * learned that the page it got was not the one it asked for).
 */
function pagingParam(q: Query, key: string, fallback: number, max: number, errors: Record<string, string[]>): number {
  const raw = q[key];
  if (raw === undefined || raw === '') return fallback;
  const n = typeof raw === 'string' && /^[0-9]{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (n >= 1 && n <= max) return n;
  errors[key] = [`must be a whole number from 1 to ${max}`];
  return fallback;
}

export function companyParam(q: Query): number | undefined {
  const v = str(q, 'company_id');
  return v === undefined ? undefined : /^\d{1,16}$/.test(v) ? Number(v) : -1;
}

/**
 * The deliveries filters of v2.0 (`filter[...]`, page/per_page) and v1.0 (`filters[status]`,
 * page_size; per_page wins when both are given), or Procore's 400 naming each bad paging parameter.
 */
export function deliveryQuery(q: Query): DeliveryQuery {
  const errors: Record<string, string[]> = {};
  const page = pagingParam(q, 'page', 1, PROCORE_MAX_PAGE, errors);
  const perPage = pagingParam(q, 'per_page', pagingParam(q, 'page_size', 100, PROCORE_MAX_PER_PAGE, errors), PROCORE_MAX_PER_PAGE, errors);
  if (Object.keys(errors).length) throw ProcoreHttpError.validation(errors);
  return {
    statuses: bracketParam(q, 'filter', 'status') ?? bracketParam(q, 'filters', 'status'),
    resourceName: bracketParam(q, 'filter', 'resource_name'),
    eventType: bracketParam(q, 'filter', 'event_type'),
    start: bracketParam(q, 'filter', 'start'),
    end: bracketParam(q, 'filter', 'end'),
    page,
    perPage,
  };
}

/** The deliveries page's headers: its size, and a link to the next page when there is one. */
export function setPageHeaders(res: { setHeader(name: string, value: string): void }, query: DeliveryQuery, hasMore: boolean): void {
  res.setHeader('Per-Page', String(query.perPage));
  if (hasMore) res.setHeader('Link', `<?page=${query.page + 1}&per_page=${query.perPage}>; rel="next"`);
}
