import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, hookPath, type EventType, type Hook } from '../api';
import { PageForm } from '../components/fields';
import { ProblemAlert } from '../components/problem';
import { TestPanel } from '../components/test-panel';
import { Link, useRouter } from '../router';
import { useCatalog } from './hooks-list';

/** Shown until the catalog answers (it lists every format with a description). */
const FORMATS = ['native', 'cloudevents-structured', 'cloudevents-binary', 'proprofs', 'worksection', 'procore-v2.0', 'procore-v3.0', 'procore-v4.0', 'ppm-express'];

interface FormState {
  url: string;
  httpVerb: string;
  eventTypes: string[];
  scopeKind: 'tenant' | 'projects' | 'project';
  projectIds: string;
  ownerOnly: boolean;
  fieldFilters: string;
  resourceFilters: string;
  headers: { name: string; value: string }[];
  headersChanged: boolean;
  authorization: string;
  removeAuthorization: boolean;
  basicUser: string;
  basicPassword: string;
  removeBasicAuth: boolean;
  payloadFormat: string;
  deliveryMode: string;
  rateLimitPerSec: string;
  timeoutMs: string;
  scheduleMs: string;
  maxAttempts: string;
  maxAgeHours: string;
  onExhausted: string;
  enabled: boolean;
}

const blank: FormState = {
  url: '',
  httpVerb: 'POST',
  eventTypes: [],
  scopeKind: 'tenant',
  projectIds: '',
  ownerOnly: false,
  fieldFilters: '{}',
  resourceFilters: '{}',
  headers: [],
  headersChanged: false,
  authorization: '',
  removeAuthorization: false,
  basicUser: '',
  basicPassword: '',
  removeBasicAuth: false,
  payloadFormat: 'native',
  deliveryMode: 'independent',
  rateLimitPerSec: '',
  timeoutMs: '5000',
  scheduleMs: '5000, 30000, 120000, 600000, 3600000, 21600000',
  maxAttempts: '7',
  maxAgeHours: '24',
  onExhausted: 'dlq',
  enabled: true,
};

function fromHook(h: Hook): FormState {
  return {
    ...blank,
    url: h.url,
    httpVerb: h.httpVerb,
    eventTypes: h.eventTypes,
    scopeKind: h.scope.kind,
    projectIds: h.scope.kind === 'projects' ? h.scope.projectIds.join(', ') : h.scope.kind === 'project' ? h.scope.projectId : '',
    ownerOnly: h.ownerOnly,
    fieldFilters: JSON.stringify(h.fieldFilters, null, 2),
    resourceFilters: JSON.stringify(h.resourceFilters, null, 2),
    headers: h.headers.map((x) => ({ name: x.name, value: '' })),
    basicUser: h.basicAuth?.user ?? '',
    payloadFormat: h.payloadFormat,
    deliveryMode: h.deliveryMode,
    rateLimitPerSec: h.rateLimitPerSec === null ? '' : String(h.rateLimitPerSec),
    timeoutMs: String(h.timeoutMs),
    scheduleMs: h.retryPolicy.scheduleMs.join(', '),
    maxAttempts: String(h.retryPolicy.maxAttempts),
    maxAgeHours: String(h.retryPolicy.maxAgeMs / 3_600_000),
    onExhausted: h.retryPolicy.onExhausted,
  };
}

type Errors = Record<string, string>;

/** The request body, or the fields at fault. */
function toBody(f: FormState, editing: Hook | null): { body?: Record<string, unknown>; errors: Errors } {
  const errors: Errors = {};
  const body: Record<string, unknown> = {};
  if (!f.url.trim()) errors.url = 'Enter the URL that will receive the events.';
  else if (!URL.canParse(f.url.trim())) errors.url = 'Not a valid URL (https://…).';
  body.url = f.url.trim();
  body.httpVerb = f.httpVerb;
  if (f.eventTypes.length === 0) errors.eventTypes = 'Select at least one event (or all events).';
  body.eventTypes = f.eventTypes;
  const ids = f.projectIds
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (f.scopeKind === 'tenant') body.scope = { kind: 'tenant' };
  else if (ids.length === 0) errors.scope = 'Enter at least one project id.';
  else body.scope = f.scopeKind === 'project' ? { kind: 'project', projectId: ids[0] } : { kind: 'projects', projectIds: ids };
  body.ownerOnly = f.ownerOnly;
  for (const k of ['fieldFilters', 'resourceFilters'] as const) {
    try {
      const v = JSON.parse(f[k] || '{}');
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      body[k] = v;
    } catch {
      errors[k] = 'A JSON object, e.g. {"task": ["name"]}.';
    }
  }
  if (!editing || f.headersChanged) {
    if (f.headers.some((h) => !h.name.trim() || !h.value)) errors.headers = 'Each header needs a name and a value.';
    body.headers = f.headers.map((h) => ({ name: h.name.trim(), value: h.value }));
  }
  if (f.removeAuthorization) body.authorization = null;
  else if (f.authorization) body.authorization = f.authorization;
  if (f.removeBasicAuth) body.basicAuth = null;
  else if (f.basicUser && f.basicPassword) body.basicAuth = { user: f.basicUser, password: f.basicPassword };
  else if (f.basicPassword && !f.basicUser) errors.basicAuth = 'Enter the user too.';
  if (!editing) body.payloadFormat = f.payloadFormat;
  body.deliveryMode = f.deliveryMode;
  if (f.rateLimitPerSec.trim() === '') body.rateLimitPerSec = null;
  else if (!(Number(f.rateLimitPerSec) > 0)) errors.rateLimitPerSec = 'A positive number of deliveries per second, or empty for none.';
  else body.rateLimitPerSec = Number(f.rateLimitPerSec);
  const timeout = Number(f.timeoutMs);
  if (!Number.isInteger(timeout) || timeout < 100 || timeout > 30_000) errors.timeoutMs = 'Between 100 and 30000 ms.';
  else body.timeoutMs = timeout;
  const schedule = f.scheduleMs.split(',').map((s) => Number(s.trim()));
  const maxAttempts = Number(f.maxAttempts);
  const maxAgeMs = Math.round(Number(f.maxAgeHours) * 3_600_000);
  if (schedule.length === 0 || schedule.some((n) => !Number.isInteger(n) || n < 0)) errors['retryPolicy.scheduleMs'] = 'Delays in ms, comma-separated.';
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) errors['retryPolicy.maxAttempts'] = 'At least 1.';
  if (!(maxAgeMs > 0)) errors['retryPolicy.maxAgeMs'] = 'A positive number of hours.';
  body.retryPolicy = { scheduleMs: schedule, maxAttempts, maxAgeMs, onExhausted: f.onExhausted };
  if (!editing) body.enabled = f.enabled;
  return Object.keys(errors).length ? { errors } : { body, errors };
}

/** Server field problems onto the form's fields (`retryPolicy.scheduleMs.2` → `retryPolicy.scheduleMs`). */
function serverErrors(e: unknown): Errors {
  if (!(e instanceof ApiError)) return {};
  const out: Errors = {};
  const known = ['retryPolicy.scheduleMs', 'retryPolicy.maxAttempts', 'retryPolicy.maxAgeMs', 'basicAuth', 'headers', 'eventTypes', 'scope', 'url'];
  for (const p of e.errors) {
    const key = known.find((k) => p.path === k || p.path.startsWith(`${k}.`)) ?? p.path.split('.')[0];
    out[key] = out[key] ? `${out[key]} ${p.message}` : p.message;
  }
  return out;
}

function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: string; children: ReactNode }) {
  return (
    <div className={`field ${error ? 'has-error' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`} data-field-error={id}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

const describedBy = (id: string, errors: Errors, key: string, hint = false) =>
  [errors[key] ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;

function EventPicker({ types, value, onChange, error }: { types: EventType[]; value: string[]; onChange: (v: string[]) => void; error?: string }) {
  const groups = useMemo(() => {
    const g = new Map<string, EventType[]>();
    for (const t of types) {
      const k = t.type.startsWith('hook.') ? 'operational (hook.*)' : (t.resourceType ?? 'other');
      g.set(k, [...(g.get(k) ?? []), t]);
    }
    return [...g.entries()];
  }, [types]);
  const all = value.includes('*');
  const toggle = (t: string, on: boolean) => onChange(on ? [...value.filter((x) => x !== '*'), t] : value.filter((x) => x !== t));
  return (
    <fieldset className={`events-picker ${error ? 'has-error' : ''}`} aria-describedby={error ? 'eventTypes-error' : undefined}>
      <legend>Events to send</legend>
      <label className="check">
        <input type="checkbox" checked={all} onChange={(e) => onChange(e.target.checked ? ['*'] : [])} /> All resource events (*)
      </label>
      <div className="event-groups">
        {groups.map(([group, list]) => (
          <div key={group} className="event-group">
            <span className="group-name">{group}</span>
            {list.map((t) => (
              <label key={t.type} className="check" title={t.description}>
                <input
                  type="checkbox"
                  name="eventType"
                  value={t.type}
                  disabled={all && !t.type.startsWith('hook.')}
                  checked={value.includes(t.type) || (all && !t.type.startsWith('hook.'))}
                  onChange={(e) => toggle(t.type, e.target.checked)}
                />{' '}
                {t.action}
              </label>
            ))}
          </div>
        ))}
      </div>
      {error ? (
        <p className="field-error" id="eventTypes-error" data-field-error="eventTypes">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

export function HookFormPage({ id }: { id?: string }) {
  const { navigate } = useRouter();
  const { types, formats } = useCatalog();
  const formatList = formats.length ? formats.map((x) => x.format) : FORMATS;
  const [hook, setHook] = useState<Hook | null>(null);
  const [f, setF] = useState<FormState>(blank);
  const formatHint = formats.find((x) => x.format === f.payloadFormat)?.description;
  const [errors, setErrors] = useState<Errors>({});
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((s) => ({ ...s, [k]: v }));

  useEffect(() => {
    if (!id) return;
    api<Hook>('GET', hookPath(id))
      .then((h) => {
        setHook(h);
        setF(fromHook(h));
      })
      .catch(setProblem);
  }, [id]);

  const submit = async () => {
    setProblem(null);
    const { body, errors: e } = toBody(f, hook);
    setErrors(e);
    if (!body) {
      setProblem(new ApiError(400, 'Check the form', 'Some fields need a change (see below each field).'));
      return;
    }
    setBusy(true);
    try {
      const saved = hook ? await api<Hook>('PATCH', hookPath(hook.id), body) : await api<Hook>('POST', '/v1/webhooks', body);
      navigate(`/hooks/${saved.id}`, saved.signingSecret ? { signingSecret: saved.signingSecret } : null);
    } catch (err) {
      setProblem(err);
      setErrors(serverErrors(err));
    } finally {
      setBusy(false);
    }
  };

  if (id && !hook) return <section>{problem ? <ProblemAlert error={problem} /> : <p className="loading">Loading…</p>}</section>;
  return (
    <section>
      <div className="page-head">
        <h1>{hook ? 'Edit hook' : 'Create hook'}</h1>
        {hook ? <Link to={`/hooks/${hook.id}`}>Back to the hook</Link> : <Link to="/">Back to the webhooks</Link>}
      </div>
      <PageForm className="hook-form" noValidate onSubmit={submit}>
        <h2>Endpoint</h2>
        <Field id="url" label="Endpoint URL" error={errors.url}>
          <input id="url" type="url" value={f.url} onChange={(e) => set('url', e.target.value)} aria-invalid={!!errors.url} aria-describedby={describedBy('url', errors, 'url')} />
        </Field>
        <div className="row">
          <Field id="httpVerb" label="HTTP method" error={errors.httpVerb}>
            <select id="httpVerb" value={f.httpVerb} onChange={(e) => set('httpVerb', e.target.value)}>
              <option>POST</option>
              <option>PUT</option>
              <option>PATCH</option>
            </select>
          </Field>
          <Field id="payloadFormat" label="Payload format" error={errors.payloadFormat} hint={`${formatHint ? `${formatHint} ` : ''}${hook ? 'Fixed once the hook is created: delete and re-create it to change.' : 'Cannot be changed after creation.'}`}>
            <select id="payloadFormat" value={f.payloadFormat} onChange={(e) => set('payloadFormat', e.target.value)} disabled={!!hook} aria-describedby={describedBy('payloadFormat', errors, 'payloadFormat', true)}>
              {formatList.map((x) => (
                <option key={x}>{x}</option>
              ))}
            </select>
          </Field>
        </div>
        <Field id="authorization" label="Authorization header" error={errors.authorization} hint={hook?.authorization ? `Stored: ${hook.authorization}. Leave empty to keep it.` : 'Optional, e.g. Bearer abc…'}>
          <input id="authorization" type="password" autoComplete="off" value={f.authorization} onChange={(e) => set('authorization', e.target.value)} aria-describedby={describedBy('authorization', errors, 'authorization', true)} />
        </Field>
        {hook?.authorization ? (
          <label className="check">
            <input type="checkbox" checked={f.removeAuthorization} onChange={(e) => set('removeAuthorization', e.target.checked)} /> Remove the Authorization header
          </label>
        ) : null}
        <fieldset className={errors.basicAuth ? 'has-error' : ''}>
          <legend>Basic auth (optional)</legend>
          <div className="row">
            <Field id="basicUser" label="HTTP user">
              <input id="basicUser" autoComplete="off" value={f.basicUser} onChange={(e) => set('basicUser', e.target.value)} />
            </Field>
            <Field id="basicPassword" label="HTTP password" hint={hook?.basicAuth ? 'Leave empty to keep the stored password.' : undefined}>
              <input id="basicPassword" type="password" autoComplete="new-password" value={f.basicPassword} onChange={(e) => set('basicPassword', e.target.value)} aria-describedby={hook?.basicAuth ? 'basicPassword-hint' : undefined} />
            </Field>
          </div>
          {hook?.basicAuth ? (
            <label className="check">
              <input type="checkbox" checked={f.removeBasicAuth} onChange={(e) => set('removeBasicAuth', e.target.checked)} /> Remove basic auth
            </label>
          ) : null}
          {errors.basicAuth ? (
            <p className="field-error" data-field-error="basicAuth">
              {errors.basicAuth}
            </p>
          ) : null}
        </fieldset>
        <fieldset className={errors.headers ? 'has-error' : ''}>
          <legend>Custom headers</legend>
          {hook && !f.headersChanged && hook.headers.length ? <p className="hint">Stored values are hidden; changing the list replaces every header (enter each value again).</p> : null}
          {f.headers.map((h, i) => (
            <div className="row header-row" key={i}>
              <div className="field">
                <label htmlFor={`header-name-${i}`}>Header name</label>
                <input
                  id={`header-name-${i}`}
                  value={h.name}
                  onChange={(e) => setF((s) => ({ ...s, headersChanged: true, headers: s.headers.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)) }))}
                />
              </div>
              <div className="field">
                <label htmlFor={`header-value-${i}`}>Header value</label>
                <input
                  id={`header-value-${i}`}
                  type="password"
                  autoComplete="off"
                  value={h.value}
                  placeholder={hook && !f.headersChanged ? (hook.headers[i]?.value ?? '') : ''}
                  onChange={(e) => setF((s) => ({ ...s, headersChanged: true, headers: s.headers.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)) }))}
                />
              </div>
              <button type="button" className="btn btn-small" onClick={() => setF((s) => ({ ...s, headersChanged: true, headers: s.headers.filter((_, j) => j !== i) }))}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" className="btn btn-small" onClick={() => setF((s) => ({ ...s, headersChanged: true, headers: [...s.headers, { name: '', value: '' }] }))}>
            Add header
          </button>
          {errors.headers ? (
            <p className="field-error" data-field-error="headers">
              {errors.headers}
            </p>
          ) : null}
        </fieldset>

        <h2>Events</h2>
        <EventPicker types={types} value={f.eventTypes} onChange={(v) => set('eventTypes', v)} error={errors.eventTypes} />
        <fieldset className={errors.scope ? 'has-error' : ''}>
          <legend>Scope</legend>
          {(['tenant', 'projects', 'project'] as const).map((k) => (
            <label className="check" key={k}>
              <input type="radio" name="scope" value={k} checked={f.scopeKind === k} onChange={() => set('scopeKind', k)} />{' '}
              {k === 'tenant' ? 'All projects' : k === 'projects' ? 'Some projects' : 'One project'}
            </label>
          ))}
          {f.scopeKind !== 'tenant' ? (
            <Field id="projectIds" label={f.scopeKind === 'project' ? 'Project id' : 'Project ids (comma-separated)'} error={errors.scope}>
              <input id="projectIds" value={f.projectIds} onChange={(e) => set('projectIds', e.target.value)} aria-describedby={describedBy('projectIds', errors, 'scope')} />
            </Field>
          ) : errors.scope ? (
            <p className="field-error" data-field-error="scope">
              {errors.scope}
            </p>
          ) : null}
        </fieldset>
        <label className="check">
          <input type="checkbox" checked={f.ownerOnly} onChange={(e) => set('ownerOnly', e.target.checked)} /> Only changes made by the hook's owner
        </label>
        <div className="row">
          <Field id="fieldFilters" label="Field filters (JSON)" error={errors.fieldFilters} hint='Updates fire only when one of these fields changed, per resource type: {"task": ["name"]}'>
            <textarea id="fieldFilters" rows={3} value={f.fieldFilters} onChange={(e) => set('fieldFilters', e.target.value)} aria-describedby={describedBy('fieldFilters', errors, 'fieldFilters', true)} />
          </Field>
          <Field id="resourceFilters" label="Resource filters (JSON)" error={errors.resourceFilters} hint='Only resources with these values: {"task": {"external": false}}'>
            <textarea id="resourceFilters" rows={3} value={f.resourceFilters} onChange={(e) => set('resourceFilters', e.target.value)} aria-describedby={describedBy('resourceFilters', errors, 'resourceFilters', true)} />
          </Field>
        </div>

        <h2>Delivery</h2>
        <div className="row">
          <Field id="deliveryMode" label="Delivery mode" error={errors.deliveryMode}>
            <select id="deliveryMode" value={f.deliveryMode} onChange={(e) => set('deliveryMode', e.target.value)}>
              <option value="independent">Independent (concurrent)</option>
              <option value="ordered">Ordered (one at a time)</option>
            </select>
          </Field>
          <Field id="rateLimitPerSec" label="Rate limit (deliveries/s)" error={errors.rateLimitPerSec} hint="Empty: no limit.">
            <input id="rateLimitPerSec" inputMode="decimal" value={f.rateLimitPerSec} onChange={(e) => set('rateLimitPerSec', e.target.value)} aria-describedby={describedBy('rateLimitPerSec', errors, 'rateLimitPerSec', true)} />
          </Field>
          <Field id="timeoutMs" label="Timeout (ms)" error={errors.timeoutMs}>
            <input id="timeoutMs" inputMode="numeric" value={f.timeoutMs} onChange={(e) => set('timeoutMs', e.target.value)} aria-describedby={describedBy('timeoutMs', errors, 'timeoutMs')} />
          </Field>
        </div>
        <fieldset>
          <legend>Retry policy</legend>
          <div className="row">
            <Field id="scheduleMs" label="Delays between attempts (ms)" error={errors['retryPolicy.scheduleMs']}>
              <input id="scheduleMs" value={f.scheduleMs} onChange={(e) => set('scheduleMs', e.target.value)} aria-describedby={describedBy('scheduleMs', errors, 'retryPolicy.scheduleMs')} />
            </Field>
            <Field id="maxAttempts" label="Max attempts" error={errors['retryPolicy.maxAttempts']}>
              <input id="maxAttempts" inputMode="numeric" value={f.maxAttempts} onChange={(e) => set('maxAttempts', e.target.value)} aria-describedby={describedBy('maxAttempts', errors, 'retryPolicy.maxAttempts')} />
            </Field>
            <Field id="maxAgeHours" label="Max age (hours)" error={errors['retryPolicy.maxAgeMs']}>
              <input id="maxAgeHours" inputMode="decimal" value={f.maxAgeHours} onChange={(e) => set('maxAgeHours', e.target.value)} aria-describedby={describedBy('maxAgeHours', errors, 'retryPolicy.maxAgeMs')} />
            </Field>
            <Field id="onExhausted" label="When exhausted">
              <select id="onExhausted" value={f.onExhausted} onChange={(e) => set('onExhausted', e.target.value)}>
                <option value="dlq">Failed, to the DLQ</option>
                <option value="discard">Discarded</option>
              </select>
            </Field>
          </div>
        </fieldset>
        {!hook ? (
          <label className="check">
            <input type="checkbox" checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled when created
          </label>
        ) : null}
        <ProblemAlert error={problem} />
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {hook ? 'Save' : 'Create'}
          </button>
        </div>
      </PageForm>
      {hook ? (
        <section aria-labelledby="test-heading">
          <h2 id="test-heading">Test the endpoint</h2>
          <TestPanel hookId={hook.id} />
        </section>
      ) : null}
    </section>
  );
}
