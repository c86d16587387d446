import { ApiError } from '../api';

/** Every error from the API as its problem+json title and detail. */
export function ProblemAlert({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : new ApiError(0, 'Error', String((error as Error)?.message ?? error));
  return (
    <div className="alert alert-error" role="alert">
      <strong className="problem-title">{e.title}</strong>
      {e.status ? <span className="problem-status"> ({e.status})</span> : null}
      <div className="problem-detail">{e.detail}</div>
      {e.errors.length > 0 ? (
        <ul className="problem-errors">
          {e.errors.map((f, i) => (
            <li key={i}>
              <code>{f.path || '(body)'}</code>: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
