import { useEffect, useState } from 'react';
import { api, whileCurrent, hookPath, type DeliveryRecord, type Hook } from '../api';
import { EmptyRow } from '../components/fields';
import { ProblemAlert } from '../components/problem';
import { DeliveryStatusBadge } from '../components/status';
import { fmtMs, fmtTime } from '../format';
import { Link, useRouter } from '../router';

const MASK = '••••••••';

/** What the dispatcher sends with each attempt, secrets masked (header values as the hook is set up now). */
function headersSent(d: DeliveryRecord, hook: Hook | null): [string, string][] {
  const h: [string, string][] = [
    ['content-type', 'application/json'],
    ['webhook-id', d.eventId],
    ['webhook-timestamp', '(the attempt time, unix seconds)'],
    ['webhook-signature', `v1,${MASK}`],
  ];
  if (!hook) return h;
  for (const x of hook.headers) h.push([x.name.toLowerCase(), x.value ?? MASK]);
  if (hook.authorization) h.push(['authorization', hook.authorization]);
  else if (hook.basicAuth) h.push(['authorization', `Basic ${MASK}`]);
  return h;
}

export function EventDetailPage({ hookId, deliveryId }: { hookId: string; deliveryId: string }) {
  const { navigate } = useRouter();
  const [d, setD] = useState<DeliveryRecord | null>(null);
  const [hook, setHook] = useState<Hook | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [redeliverError, setRedeliverError] = useState<unknown>(null);
  const [redelivered, setRedelivered] = useState<string | null>(null);

  useEffect(() => {
    setD(null);
    const current = whileCurrent();
    api<DeliveryRecord>('GET', `/v1/deliveries/${encodeURIComponent(deliveryId)}`).then(current.keep(setD)).catch(current.keep(setError));
    api<Hook>('GET', hookPath(hookId))
      .then(current.keep(setHook))
      .catch(current.keep(() => setHook(null)));
    return current.cancel;
  }, [hookId, deliveryId]);

  if (!d) return <section>{error ? <ProblemAlert error={error} /> : <p className="loading">Loading…</p>}</section>;
  return (
    <section>
      <div className="page-head">
        <h1>
          Event {d.eventType} on {d.resourceName} {d.resourceId}
        </h1>
        <Link to={`/hooks/${hookId}`}>Back to the hook</Link>
      </div>
      <section className="card" aria-labelledby="event-summary">
        <h2 id="event-summary">Summary</h2>
        <dl className="overview">
          <dt>Event Status</dt>
          <dd>
            <DeliveryStatusBadge status={d.status} />
          </dd>
          <dt>Event id (webhook-id)</dt>
          <dd>
            <code>{d.eventId}</code>
          </dd>
          <dt>Delivery id</dt>
          <dd>
            <code>{d.id}</code> ({d.origin})
          </dd>
          <dt>Logged</dt>
          <dd>{fmtTime(d.createdAt)}</dd>
          <dt>Occurred</dt>
          <dd>{fmtTime(d.occurredAt)}</dd>
          {d.nextAttemptAt ? (
            <>
              <dt>Next attempt</dt>
              <dd>{fmtTime(d.nextAttemptAt)}</dd>
            </>
          ) : null}
        </dl>
        <div className="actions">
          <button
            type="button"
            className="btn btn-primary"
            disabled={d.body === null}
            onClick={async () => {
              setRedeliverError(null);
              try {
                const r = await api<{ id: string }>('POST', `/v1/deliveries/${encodeURIComponent(d.id)}/redeliver`);
                setRedelivered(r.id);
              } catch (e) {
                setRedeliverError(e);
              }
            }}
          >
            Redeliver
          </button>
        </div>
        <ProblemAlert error={redeliverError} />
        {redelivered ? (
          <p role="status" className="banner banner-info" data-testid="redelivered">
            Queued again as a new delivery (same webhook-id).{' '}
            <a
              href={`/console/hooks/${hookId}/events/${redelivered}`}
              onClick={(e) => {
                e.preventDefault();
                navigate(`/hooks/${hookId}/events/${redelivered}`);
              }}
            >
              Open it
            </a>
          </p>
        ) : null}
      </section>
      <section className="card" aria-labelledby="attempts-heading">
        <h2 id="attempts-heading">Attempts</h2>
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Attempts table">
          <table className="attempts-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Status</th>
                <th scope="col">Status code</th>
                <th scope="col">Duration</th>
                <th scope="col">At (UTC)</th>
                <th scope="col">Response excerpt</th>
              </tr>
            </thead>
            <tbody>
              {d.attempts.map((a) => (
                <tr key={a.attempt} data-attempt={a.attempt}>
                  <td>{a.attempt}</td>
                  <td>
                    <DeliveryStatusBadge status={a.status} />
                  </td>
                  <td>{a.httpStatus ?? a.errorClass ?? '—'}</td>
                  <td>{fmtMs(a.durationMs)}</td>
                  <td>{fmtTime(a.at)}</td>
                  <td>
                    {a.responseExcerpt ? <pre className="excerpt">{a.responseExcerpt}</pre> : null}
                    {a.errorMessage ? <span className="muted">{a.errorMessage}</span> : null}
                  </td>
                </tr>
              ))}
              {d.attempts.length === 0 ? <EmptyRow columns={6}>No attempt yet.</EmptyRow> : null}
            </tbody>
          </table>
        </div>
      </section>
      <section className="card" aria-labelledby="headers-heading">
        <h2 id="headers-heading">Headers sent</h2>
        <table className="headers-table">
          <tbody>
            {headersSent(d, hook).map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>
                  <code>{v}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card" aria-labelledby="payload-heading">
        <h2 id="payload-heading">Payload</h2>
        <pre className="payload" tabIndex={0} aria-label="Payload as sent">
          {d.payload !== null ? JSON.stringify(d.payload, null, 2) : (d.body ?? '(not logged)')}
        </pre>
      </section>
    </section>
  );
}
