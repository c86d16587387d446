import { useEffect, useMemo, useState } from 'react';
import { api, whileCurrent, ApiError, isOperationsHook, type EventType, type Hook } from '../api';
import { EmptyRow, FilterSelect, PageForm } from '../components/fields';
import { HOOK_STATUS, HookStatus } from '../components/status';
import { ProblemAlert } from '../components/problem';
import { fmtMs, fmtPct, fmtTime, STATUS_LABEL } from '../format';
import { Link } from '../router';

export interface PayloadFormatInfo {
  format: string;
  description: string;
}

/** The event catalog (and the payload formats a hook can choose), from GET /v1/event-types. */
export function useCatalog(): { types: EventType[]; formats: PayloadFormatInfo[] } {
  const [catalog, setCatalog] = useState<{ types: EventType[]; formats: PayloadFormatInfo[] }>({ types: [], formats: [] });
  useEffect(() => {
    api<{ data: EventType[]; payloadFormats?: PayloadFormatInfo[] }>('GET', '/v1/event-types')
      .then((r) => setCatalog({ types: r.data.filter((t) => t.type !== 'webhook.test'), formats: r.payloadFormats ?? [] }))
      .catch(() => setCatalog({ types: [], formats: [] }));
  }, []);
  return catalog;
}

export function useEventTypes(): EventType[] {
  return useCatalog().types;
}

export function HooksListPage({ onUnauthorized }: { onUnauthorized: () => void }) {
  const [hooks, setHooks] = useState<Hook[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState('');
  const [eventType, setEventType] = useState('');
  const eventTypes = useEventTypes();

  useEffect(() => {
    const q = new URLSearchParams({ include: 'stats', limit: '200' });
    if (status) q.set('status', status);
    if (eventType) q.set('eventType', eventType);
    setError(null);
    const current = whileCurrent();
    api<{ data: Hook[] }>('GET', `/v1/webhooks?${q}`)
      .then(current.keep((r: { data: Hook[] }) => setHooks(r.data)))
      .catch(
        current.keep((e: unknown) => {
          if (e instanceof ApiError && e.status === 401) onUnauthorized();
          setError(e);
        }),
      );
    return current.cancel;
  }, [status, eventType, onUnauthorized]);

  const shown = useMemo(() => {
    const s = search.trim().toLowerCase();
    return (hooks ?? []).filter((h) => !s || h.url.toLowerCase().includes(s) || h.id.includes(s) || h.eventTypes.some((t) => t.includes(s)));
  }, [hooks, search]);
  const troubled = (hooks ?? []).filter((h) => h.status === 'auto-disabled' || h.status === 'active-with-failures');

  return (
    <section>
      <div className="page-head">
        <h1>Webhooks</h1>
        <Link to="/hooks/new" className="btn btn-primary">
          Create hook
        </Link>
      </div>
      {troubled.length > 0 ? (
        <div className="banner banner-warning" role="status">
          {troubled.filter((h) => h.status === 'auto-disabled').length} auto-disabled and{' '}
          {troubled.filter((h) => h.status === 'active-with-failures').length} failing webhook(s) need attention.
        </div>
      ) : null}
      <PageForm className="filters" role="search" aria-label="Filter webhooks" onSubmit={() => undefined}>
        <div className="field">
          <label htmlFor="hook-search">Search</label>
          <input id="hook-search" type="search" placeholder="URL, id or event type" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <FilterSelect
          id="hook-status"
          label="Status"
          value={status}
          onChange={setStatus}
          all="All statuses"
          choices={(['active', 'active-with-failures', 'disabled', 'auto-disabled'] as const).map((value) => ({ value, label: HOOK_STATUS[value].label }))}
        />
        <FilterSelect id="hook-event-type" label="Event type" value={eventType} onChange={setEventType} all="All event types" choices={eventTypes.map((t) => t.type)} />
      </PageForm>
      <ProblemAlert error={error} />
      {hooks === null && !error ? <p className="loading">Loading…</p> : null}
      {hooks !== null ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Webhooks table">
          <table className="hooks-table">
            <caption className="visually-hidden">Webhooks of this tenant with their last 24 hours</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Dialect</th>
                <th scope="col">Status</th>
                <th scope="col">Last delivery</th>
                <th scope="col">Success (24 h)</th>
                <th scope="col">p50 / p99 (24 h)</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((h) => (
                <tr key={h.id} data-hook-id={h.id}>
                  <td className="url-cell">
                    <Link to={`/hooks/${h.id}`}>{h.url}</Link>
                    {isOperationsHook(h) ? <span className="tag">operations</span> : null}
                  </td>
                  <td className="events-cell" data-label="Events">{h.eventTypes.includes('*') ? 'All events' : h.eventTypes.join(', ')}</td>
                  <td data-label="Dialect">{h.dialect}</td>
                  <td data-label="Status">
                    <HookStatus hook={h} />
                  </td>
                  <td data-label="Last delivery">
                    {h.stats?.lastAttempt ? (
                      <>
                        {fmtTime(h.stats.lastAttempt.at)}
                        <br />
                        <span className="muted">
                          {STATUS_LABEL[h.stats.lastAttempt.status]}
                          {h.stats.lastAttempt.httpStatus ? ` · HTTP ${h.stats.lastAttempt.httpStatus}` : ''}
                        </span>
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td data-col="success-rate" data-label="Success (24 h)">{fmtPct(h.stats?.successRate)}</td>
                  <td data-col="latency" data-label="p50 / p99 (24 h)">
                    {fmtMs(h.stats?.latencyMs.p50)} / {fmtMs(h.stats?.latencyMs.p99)}
                  </td>
                </tr>
              ))}
              {shown.length === 0 ? <EmptyRow columns={7}>No webhook matches.</EmptyRow> : null}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
