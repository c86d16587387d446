import { useCallback, useEffect, useState } from 'react';
import { api, session, type Me } from './api';
import { ProblemAlert } from './components/problem';
import { EventDetailPage } from './pages/event-detail';
import { HookDetailPage } from './pages/hook-detail';
import { HookFormPage } from './pages/hook-form';
import { HooksListPage } from './pages/hooks-list';
import { OperationsPage } from './pages/operations';
import { SignInPage } from './pages/sign-in';
import { Link, match, Router, useRouter } from './router';

export function App() {
  return (
    <Router>
      <Shell />
    </Router>
  );
}

function Shell() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(() => session.key() !== null);
  const [error, setError] = useState<unknown>(null);
  const signOut = useCallback(() => {
    session.clear();
    setMe(null);
  }, []);

  useEffect(() => {
    if (!session.key()) return;
    api<Me>('GET', '/v1/webhooks/me')
      .then(setMe)
      .catch((e) => {
        setError(e);
        session.clear();
      })
      .finally(() => setChecking(false));
  }, []);

  if (checking) return <p className="loading">Signing in…</p>;
  if (!me) return <SignInPage onSignedIn={setMe} initialError={error} />;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Herald console
        </Link>
        <nav aria-label="Main">
          <Link to="/">Webhooks</Link>
          <Link to="/operations">Operations endpoint</Link>
        </nav>
        <div className="who">
          <span className="tenant-name" data-testid="tenant-name">
            {me.tenant.name}
          </span>
          <span className="user-name">{me.user.fullName}</span>
          <button type="button" className="btn btn-small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Routes onUnauthorized={signOut} />
      </main>
    </>
  );
}

function Routes({ onUnauthorized }: { onUnauthorized: () => void }) {
  const { location } = useRouter();
  const path = location.path;
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <HooksListPage onUnauthorized={onUnauthorized} />;
  if (path === '/operations') return <OperationsPage />;
  if (path === '/hooks/new') return <HookFormPage />;
  if ((m = match('/hooks/:id/edit', path))) return <HookFormPage id={m.id} />;
  if ((m = match('/hooks/:id/events/:deliveryId', path))) return <EventDetailPage hookId={m.id} deliveryId={m.deliveryId} />;
  if ((m = match('/hooks/:id', path))) return <HookDetailPage id={m.id} />;
  return (
    <section>
      <h1>Not found</h1>
      <ProblemAlert error={new Error(`No page at ${path}`)} />
      <Link to="/">Back to the webhooks</Link>
    </section>
  );
}
