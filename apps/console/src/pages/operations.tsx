import { useEffect, useState } from 'react';
import { api, isOperationsHook, OPERATIONAL_TYPES, type Hook } from '../api';
import { ProblemAlert } from '../components/problem';
import { HookStatus } from '../components/status';
import { Link } from '../router';

/** Svix's operational webhooks: hook.disabled, hook.failing and hook.enabled sent to an endpoint the tenant sets. */
export function OperationsPage() {
  const [hooks, setHooks] = useState<Hook[] | null>(null);
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<string[]>([...OPERATIONAL_TYPES]);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<Hook | null>(null);

  const load = () =>
    api<{ data: Hook[] }>('GET', '/v1/webhooks?limit=200')
      .then((r) => setHooks(r.data.filter(isOperationsHook)))
      .catch(setError);
  useEffect(() => {
    void load();
  }, []);

  return (
    <section>
      <div className="page-head">
        <h1>Operations endpoint</h1>
      </div>
      <p>
        Herald tells this endpoint when one of your webhooks is auto-disabled (<code>hook.disabled</code>), starts failing (<code>hook.failing</code>) or is enabled
        again (<code>hook.enabled</code>), signed like every delivery (Standard Webhooks). An operations endpoint's own failures never raise such events.
      </p>
      <ProblemAlert error={error} />
      {hooks && hooks.length ? (
        <ul className="ops-list">
          {hooks.map((h) => (
            <li key={h.id}>
              <Link to={`/hooks/${h.id}`}>{h.url}</Link> — {h.eventTypes.join(', ')} <HookStatus hook={h} />
            </li>
          ))}
        </ul>
      ) : hooks ? (
        <p>No operations endpoint yet.</p>
      ) : null}
      {created?.signingSecret ? (
        <div className="banner banner-info" role="status" data-testid="ops-signing-secret">
          <strong>Signing secret (shown once):</strong> <code className="secret">{created.signingSecret}</code>
        </div>
      ) : null}
      <form
        className="card"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            const h = await api<Hook>('POST', '/v1/webhooks', { url: url.trim(), eventTypes: types });
            setCreated(h);
            setUrl('');
            await load();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <h2>Add an operations endpoint</h2>
        <div className="field">
          <label htmlFor="ops-url">Endpoint URL</label>
          <input id="ops-url" type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />
        </div>
        <fieldset>
          <legend>Operational events</legend>
          {OPERATIONAL_TYPES.map((t) => (
            <label className="check" key={t}>
              <input type="checkbox" checked={types.includes(t)} onChange={(e) => setTypes(e.target.checked ? [...types, t] : types.filter((x) => x !== t))} /> {t}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="btn btn-primary" disabled={!url.trim() || types.length === 0}>
          Add endpoint
        </button>
      </form>
    </section>
  );
}
