import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, whileCurrent, hookPath, isOperationsHook, type DeliverySummary, type Hook, type HookStatsResponse, type Job } from '../api';
import { DeliveriesChart, LatencyChart } from '../components/charts';
import { ConfirmButton } from '../components/confirm';
import { EmptyRow, FilterSelect, PageForm } from '../components/fields';
import { ProblemAlert } from '../components/problem';
import { DeliveryStatusBadge, HookStatus } from '../components/status';
import { TestPanel } from '../components/test-panel';
import { fmtMs, fmtPct, fmtTime, STATUS_LABEL, toLocalInput } from '../format';
import { Link, useRouter } from '../router';
import { useEventTypes } from './hooks-list';

export function HookBanner({ hook }: { hook: Hook }) {
  if (hook.status === 'auto-disabled') {
    return (
      <div className="banner banner-danger" role="alert" data-banner="auto-disabled">
        <strong>This hook was auto-disabled</strong> on {fmtTime(hook.statusChangedAt)}: {hook.statusReason ?? 'its failure policy turned it off'}. No event is sent until it
        is enabled again; then redrive its dead letters.
      </div>
    );
  }
  if (hook.status === 'active-with-failures') {
    return (
      <div className="banner banner-warning" role="status" data-banner="failing">
        <strong>This hook keeps failing:</strong> {hook.consecutiveFailures} consecutive failed attempt(s)
        {hook.failurePolicy.autoDisableAfter ? ` (auto-disabled at ${hook.failurePolicy.autoDisableAfter})` : ''}.
      </div>
    );
  }
  return null;
}

export function HookDetailPage({ id }: { id: string }) {
  const { location, navigate } = useRouter();
  const [hook, setHook] = useState<Hook | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [secret, setSecret] = useState<string | null>(() => (location.state as { signingSecret?: string } | null)?.signingSecret ?? null);

  const load = useCallback(() => {
    api<Hook>('GET', hookPath(id)).then(setHook).catch(setError);
  }, [id]);
  useEffect(load, [load]);

  const act = async (fn: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await fn();
      load();
    } catch (e) {
      setActionError(e);
    }
  };

  if (!hook) return <section>{error ? <ProblemAlert error={error} /> : <p className="loading">Loading…</p>}</section>;
  const off = hook.status === 'disabled' || hook.status === 'auto-disabled';
  return (
    <section>
      <div className="page-head">
        <h1 className="hook-title">
          Hook <code>{hook.url}</code>
        </h1>
        <Link to="/">All webhooks</Link>
      </div>
      <HookBanner hook={hook} />
      {secret ? (
        <div className="banner banner-info secret-once" role="status" data-testid="signing-secret">
          <strong>Signing secret (shown once):</strong> <code className="secret">{secret}</code>
          <button type="button" className="btn btn-small" onClick={() => setSecret(null)}>
            I have saved it
          </button>
        </div>
      ) : null}

      <section aria-labelledby="overview-heading" className="card">
        <h2 id="overview-heading">Overview</h2>
        <dl className="overview">
          <dt>Status</dt>
          <dd>
            <HookStatus hook={hook} detail />
          </dd>
          <dt>Events</dt>
          <dd>{hook.eventTypes.includes('*') ? 'All events' : hook.eventTypes.join(', ')}</dd>
          <dt>Dialect</dt>
          <dd>{hook.dialect}</dd>
          <dt>Payload format</dt>
          <dd>{hook.payloadFormat}</dd>
          <dt>Delivery</dt>
          <dd>
            {hook.httpVerb}, {hook.deliveryMode}, timeout {fmtMs(hook.timeoutMs)}
            {hook.rateLimitPerSec ? `, at most ${hook.rateLimitPerSec}/s` : ''}
          </dd>
          <dt>Retries</dt>
          <dd>
            {hook.retryPolicy.maxAttempts} attempts within {hook.retryPolicy.maxAgeMs / 3_600_000} h, then {hook.retryPolicy.onExhausted === 'dlq' ? 'DLQ' : 'discarded'}
          </dd>
          <dt>Signing secret</dt>
          <dd>
            <code>{hook.signingSecrets[0]?.secret ?? '—'}</code>
            {hook.signingSecrets.length > 1 ? ` (+ ${hook.signingSecrets.length - 1} previous until ${fmtTime(hook.signingSecrets[1].expiresAt)})` : ''}
          </dd>
          <dt>Created</dt>
          <dd>{fmtTime(hook.createdAt)}</dd>
        </dl>
        <div className="actions wrap">
          <Link to={`/hooks/${hook.id}/edit`} className="btn">
            Edit
          </Link>
          {off ? (
            <button type="button" className="btn btn-primary" onClick={() => act(() => api('POST', `${hookPath(hook.id)}/enable`))}>
              Enable
            </button>
          ) : (
            <button type="button" className="btn" onClick={() => act(() => api('POST', `${hookPath(hook.id)}/disable`))}>
              Disable
            </button>
          )}
          <ConfirmButton
            label="Rotate secret"
            title="Rotate the signing secret?"
            confirmLabel="Rotate"
            onConfirm={() =>
              act(async () => {
                const r = await api<Hook>('POST', `${hookPath(hook.id)}/rotate-secret`);
                setSecret(r.signingSecret ?? null);
              })
            }
          >
            <p>A new secret signs from now on; the current one keeps signing too for 24 hours. The new secret is shown once.</p>
          </ConfirmButton>
          <ConfirmButton
            label="Delete"
            title="Delete this hook?"
            confirmLabel="Delete"
            danger
            onConfirm={() =>
              act(async () => {
                await api('DELETE', hookPath(hook.id));
                navigate('/');
              })
            }
          >
            <p>
              Events stop at once. Its delivery history stays readable for 28 days. <strong>{hook.url}</strong>
            </p>
          </ConfirmButton>
        </div>
        <ProblemAlert error={actionError} />
        <TestPanel hookId={hook.id} />
      </section>

      <StatsSection hookId={hook.id} />
      <EventHistory hook={hook} />
      <ResendSection hook={hook} />
      {isOperationsHook(hook) ? <p className="hint">This is an operations hook: its own failures raise no operational event.</p> : null}
    </section>
  );
}

function StatsSection({ hookId }: { hookId: string }) {
  const [stats, setStats] = useState<HookStatsResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const current = whileCurrent();
    api<HookStatsResponse>('GET', `${hookPath(hookId)}/stats?hours=24&bucketMinutes=10`).then(current.keep(setStats)).catch(current.keep(setError));
    return current.cancel;
  }, [hookId]);
  return (
    <section aria-labelledby="stats-heading" className="card">
      <h2 id="stats-heading">Last 24 hours</h2>
      <ProblemAlert error={error} />
      {stats ? (
        <>
          <dl className="kpis">
            <div>
              <dt>Success rate</dt>
              <dd data-kpi="success-rate">{fmtPct(stats.summary.successRate)}</dd>
            </div>
            <div>
              <dt>Attempts</dt>
              <dd data-kpi="attempts">{stats.summary.attempts.total}</dd>
            </div>
            <div>
              <dt>p50 latency</dt>
              <dd data-kpi="p50">{fmtMs(stats.summary.latencyMs.p50)}</dd>
            </div>
            <div>
              <dt>p99 latency</dt>
              <dd data-kpi="p99">{fmtMs(stats.summary.latencyMs.p99)}</dd>
            </div>
            <div>
              <dt>Last delivery</dt>
              <dd>{stats.summary.lastAttempt ? fmtTime(stats.summary.lastAttempt.at) : '—'}</dd>
            </div>
          </dl>
          <div className="charts">
            <DeliveriesChart points={stats.series} bucketMinutes={stats.window.bucketMinutes} />
            <LatencyChart points={stats.series} />
          </div>
        </>
      ) : null}
    </section>
  );
}

interface Filters {
  resourceId: string;
  resourceName: string;
  status: string;
  eventType: string;
  from: string;
  to: string;
}
const NO_FILTERS: Filters = { resourceId: '', resourceName: '', status: '', eventType: '', from: '', to: '' };
const PAGE = 20;

/** Procore's event history: search by resource ID, Resource Name and Event Status dropdowns, a custom filter, paging. */
function EventHistory({ hook }: { hook: Hook }) {
  const eventTypes = useEventTypes();
  const resourceNames = useMemo(() => [...new Set(eventTypes.map((t) => t.resourceType).filter((x): x is string => !!x))], [eventTypes]);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [showFilter, setShowFilter] = useState(false);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<{ data: DeliverySummary[]; nextCursor: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (filters.resourceId) q.set('resourceId', filters.resourceId);
    if (filters.resourceName) q.set('resourceName', filters.resourceName);
    if (filters.status) q.set('status', filters.status);
    if (filters.eventType) q.set('eventType', filters.eventType);
    if (filters.from) q.set('from', new Date(filters.from).toISOString());
    if (filters.to) q.set('to', new Date(filters.to).toISOString());
    if (cursor) q.set('cursor', cursor);
    setError(null);
    const current = whileCurrent();
    api<{ data: DeliverySummary[]; nextCursor: string | null }>('GET', `${hookPath(hook.id)}/deliveries?${q}`)
      .then(current.keep(setPage))
      .catch(current.keep(setError));
    return current.cancel;
  }, [hook.id, filters, cursor]);

  const apply = (f: Filters) => {
    setFilters(f);
    setCursors([null]);
  };
  const custom = [filters.eventType, filters.from, filters.to].filter(Boolean).length;

  return (
    <section aria-labelledby="events-heading" className="card">
      <h2 id="events-heading">Events (28 days)</h2>
      <PageForm className="filters" role="search" aria-label="Filter events" onSubmit={() => apply({ ...filters, resourceId: draft.resourceId.trim() })}>
        <div className="field">
          <label htmlFor="ev-resource-id">Resource ID</label>
          <div className="inline-input">
            <input id="ev-resource-id" type="search" value={draft.resourceId} onChange={(e) => setDraft({ ...draft, resourceId: e.target.value })} placeholder="Search by resource ID" />
            <button type="submit" className="btn btn-small">
              Search
            </button>
          </div>
        </div>
        <FilterSelect
          id="ev-resource-name"
          label="Resource Name"
          value={filters.resourceName}
          onChange={(resourceName) => apply({ ...filters, resourceName })}
          all="All resources"
          choices={resourceNames}
        />
        <FilterSelect
          id="ev-status"
          label="Event Status"
          value={filters.status}
          onChange={(status) => apply({ ...filters, status })}
          all="All statuses"
          choices={Object.entries(STATUS_LABEL).map(([value, label]) => ({ value, label }))}
        />
        <div className="field">
          <span className="label-like" aria-hidden="true">
            &nbsp;
          </span>
          <button type="button" className="btn" aria-expanded={showFilter} aria-controls="custom-filter" onClick={() => setShowFilter((v) => !v)}>
            Filter{custom ? ` (${custom})` : ''}
          </button>
        </div>
      </PageForm>
      {showFilter ? (
        <PageForm
          id="custom-filter"
          className="custom-filter"
          aria-label="Custom filter"
          onSubmit={() => {
            apply({ ...filters, eventType: draft.eventType, from: draft.from, to: draft.to });
            setShowFilter(false);
          }}
        >
          <FilterSelect
            id="cf-event-type"
            label="Event type"
            value={draft.eventType}
            onChange={(eventType) => setDraft({ ...draft, eventType })}
            all="Any"
            choices={eventTypes.map((t) => t.type)}
          />
          <div className="field">
            <label htmlFor="cf-from">From</label>
            <input id="cf-from" type="datetime-local" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor="cf-to">To</label>
            <input id="cf-to" type="datetime-local" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
          </div>
          <div className="actions">
            <button type="submit" className="btn btn-primary">
              Apply filter
            </button>
            <button
              type="button"
              className="btn"
              onClick={() => {
                setDraft(NO_FILTERS);
                apply(NO_FILTERS);
                setShowFilter(false);
              }}
            >
              Clear all
            </button>
          </div>
        </PageForm>
      ) : null}
      <ProblemAlert error={error} />
      {page ? (
        <>
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Events table">
            <table className="events-table">
              <caption className="visually-hidden">Events sent to this hook, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Resource Name</th>
                  <th scope="col">Resource ID</th>
                  <th scope="col">Event Type</th>
                  <th scope="col">Event Status</th>
                  <th scope="col">Timestamp (UTC)</th>
                  <th scope="col">Attempts</th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((d) => (
                  <tr key={d.id} data-delivery-id={d.id}>
                    <td>{d.resourceName}</td>
                    <td>
                      <Link to={`/hooks/${hook.id}/events/${d.id}`} aria-label={`Event ${d.eventType} on ${d.resourceName} ${d.resourceId}`}>
                        {d.resourceId}
                      </Link>
                    </td>
                    <td>
                      {d.eventType}
                      {d.origin !== 'event' ? <span className="tag">{d.origin}</span> : null}
                    </td>
                    <td>
                      <DeliveryStatusBadge status={d.status} />
                    </td>
                    <td>{fmtTime(d.createdAt)}</td>
                    <td>
                      {d.attemptCount}
                      {d.lastHttpStatus ? ` · HTTP ${d.lastHttpStatus}` : ''}
                    </td>
                  </tr>
                ))}
                {page.data.length === 0 ? <EmptyRow columns={6}>No event matches.</EmptyRow> : null}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Event pages">
            <button type="button" className="btn btn-small" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
              Previous
            </button>
            <span>Page {cursors.length}</span>
            <button type="button" className="btn btn-small" disabled={!page.nextCursor} onClick={() => setCursors((c) => [...c, page.nextCursor])}>
              Next
            </button>
          </nav>
        </>
      ) : null}
    </section>
  );
}

function JobProgress({ job }: { job: Job }) {
  const pct = Math.round(job.progress * 100);
  return (
    <div className="job" data-job-kind={job.kind} data-job-state={job.state}>
      <div>
        <strong>{job.kind === 'replay' ? 'Replay' : 'DLQ redrive'}</strong> {job.since ? `since ${fmtTime(job.since)} ` : ''}— {job.state}
      </div>
      <progress max={100} value={pct} aria-label={`${job.kind} progress`}>
        {pct}%
      </progress>
      <span className="muted">
        {pct}% · {job.counts.produced} sent · {job.counts.scanned} read{job.counts.total !== null ? ` of ${job.counts.total}` : ''}
        {job.counts.skipped ? ` · ${job.counts.skipped} poison left on the DLQ` : ''}
      </span>
      {job.error ? <p className="field-error">{job.error}</p> : null}
    </div>
  );
}

/** Replay since a time and DLQ redrive: each a job whose progress is polled until it ends. */
function ResendSection({ hook }: { hook: Hook }) {
  const [since, setSince] = useState(() => toLocalInput(new Date(Date.now() - 3_600_000)));
  const [jobs, setJobs] = useState<Job[]>([]);
  const [error, setError] = useState<unknown>(null);
  const timer = useRef<number | undefined>(undefined);

  const refresh = useCallback(async () => {
    try {
      const r = await api<{ data: Job[] }>('GET', `${hookPath(hook.id)}/jobs?limit=5`);
      setJobs(r.data);
      return r.data.some((j) => j.state === 'queued' || j.state === 'running');
    } catch (e) {
      setError(e);
      return false;
    }
  }, [hook.id]);

  const poll = useCallback(() => {
    window.clearTimeout(timer.current);
    const tick = async () => {
      if (await refresh()) timer.current = window.setTimeout(tick, 700);
    };
    void tick();
  }, [refresh]);
  useEffect(() => {
    poll();
    return () => window.clearTimeout(timer.current);
  }, [poll]);

  const start = async (path: string, body?: unknown) => {
    setError(null);
    try {
      await api('POST', path, body);
      poll();
    } catch (e) {
      setError(e);
    }
  };
  const busy = jobs.some((j) => j.state === 'queued' || j.state === 'running');
  return (
    <section aria-labelledby="resend-heading" className="card">
      <h2 id="resend-heading">Send again</h2>
      <div className="row">
        <PageForm className="replay-form" onSubmit={() => start(`${hookPath(hook.id)}/replay`, { since: new Date(since).toISOString() })}>
          <div className="field">
            <label htmlFor="replay-since">Replay every event since</label>
            <input id="replay-since" type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} required />
          </div>
          <button type="submit" className="btn" disabled={busy}>
            Replay
          </button>
        </PageForm>
        <div>
          <p className="hint" id="redrive-hint">
            Sends this hook's dead-lettered deliveries again, each once, with fresh attempts.
          </p>
          <button type="button" className="btn" disabled={busy} aria-describedby="redrive-hint" onClick={() => void start(`${hookPath(hook.id)}/dlq/redrive`)}>
            Redrive DLQ
          </button>
        </div>
      </div>
      <ProblemAlert error={error} />
      <div className="jobs" aria-live="polite">
        {jobs.map((j) => (
          <JobProgress key={j.id} job={j} />
        ))}
      </div>
    </section>
  );
}
