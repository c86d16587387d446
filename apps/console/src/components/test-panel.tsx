import { useState } from 'react';
import { api, hookPath, type TestResult } from '../api';
import { fmtMs } from '../format';
import { ProblemAlert } from './problem';

/** Worksection's Test button: a signed webhook.test now, and the receiver's answer. */
export function TestPanel({ hookId }: { hookId: string }) {
  const [result, setResult] = useState<TestResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div className="test-panel">
      <button
        type="button"
        className="btn"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          setResult(null);
          try {
            setResult(await api<TestResult>('POST', `${hookPath(hookId)}/test`));
          } catch (e) {
            setError(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Testing…' : 'Test'}
      </button>
      <ProblemAlert error={error} />
      {result ? (
        <div className={`test-result ${result.ok ? 'ok' : 'bad'}`} role="status" data-testid="test-result">
          <strong>{result.ok ? 'The receiver accepted the test event' : 'The receiver did not accept the test event'}</strong>
          <dl className="inline">
            <dt>Status</dt>
            <dd>{result.httpStatus ?? result.errorClass ?? '—'}</dd>
            <dt>Time</dt>
            <dd>{fmtMs(result.durationMs)}</dd>
          </dl>
          {result.errorMessage ? <p>{result.errorMessage}</p> : null}
          {result.bodyExcerpt ? (
            <pre className="excerpt" aria-label="Response excerpt">
              {result.bodyExcerpt}
            </pre>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
