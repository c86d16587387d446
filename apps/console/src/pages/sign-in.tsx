import { useState } from 'react';
import { api, session, type Me } from '../api';
import { ProblemAlert } from '../components/problem';

export function SignInPage({ onSignedIn, initialError }: { onSignedIn: (me: Me) => void; initialError?: unknown }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(initialError ?? null);
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" className="sign-in">
      <h1>Herald console</h1>
      <p>Sign in with an API key that has the <code>webhooks</code> or <code>administrative</code> scope. It is kept in this tab only (sessionStorage).</p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const me = await api<Me>('GET', '/v1/webhooks/me', undefined, key.trim());
            session.set(key.trim());
            onSignedIn(me);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label htmlFor="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} required placeholder="hk_…" />
        <button type="submit" className="btn btn-primary" disabled={busy || !key.trim()}>
          Sign in
        </button>
      </form>
      <ProblemAlert error={error} />
    </main>
  );
}
