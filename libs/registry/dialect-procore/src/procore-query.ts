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

export function int(q: Query, key: string, fallback: number, max: number): number {
  const v = str(q, key);
  const n = v === undefined ? fallback : Number(v);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, max) : fallback;
}

export function companyParam(q: Query): number | undefined {
  const v = str(q, 'company_id');
  return v === undefined ? undefined : /^\d{1,16}$/.test(v) ? Number(v) : -1;
}

/** The deliveries filters of v2.0 (`filter[...]`, page/per_page) and v1.0 (`filters[status]`, page_size). */
export function deliveryQuery(q: Query): DeliveryQuery {
  return {
    statuses: bracketParam(q, 'filter', 'status') ?? bracketParam(q, 'filters', 'status'),
    resourceName: bracketParam(q, 'filter', 'resource_name'),
    eventType: bracketParam(q, 'filter', 'event_type'),
    start: bracketParam(q, 'filter', 'start'),
    end: bracketParam(q, 'filter', 'end'),
    page: int(q, 'page', 1, 100_000),
    perPage: int(q, 'per_page', int(q, 'page_size', 100, 1000), 1000),
  };
}

/** The deliveries page's headers: its size, and a link to the next page when there is one. */
export function setPageHeaders(res: { setHeader(name: string, value: string): void }, query: DeliveryQuery, hasMore: boolean): void {
  res.setHeader('Per-Page', String(query.perPage));
  if (hasMore) res.setHeader('Link', `<?page=${query.page + 1}&per_page=${query.perPage}>; rel="next"`);
}
