import type { FuzzResult } from './schemathesis';

/** Why a run does not pass, or an empty list. */
export function verdict(r: FuzzResult): string[] {
  const why: string[] = [];
  if (r.serverErrors > 0) why.push(`${r.serverErrors} responses 5xx`);
  if (r.failures.length > 0) why.push(`${r.failures.length} failed checks`);
  // Errors inside schemathesis' own generator (a regex it cannot expand, CPython's AST recursion
  // guard, Hypothesis' health check when it filters out what it generated for an operation with
  // nothing to generate: GET /v1/me, whose only input is a choice of two security schemes) are
  // reported, not held against the API; any other run error (a connection reset, a flaky answer,
  // a timeout) is.
  const apiErrors = r.errors.filter((e) => !/^(SystemError|RecursionError|Unsatisfiable|FailedHealthCheck)\b/.test(e.title));
  if (apiErrors.length > 0) why.push(`${apiErrors.length} run errors`);
  const mismatch = r.warnings.filter((w) => /validation mismatch/i.test(w));
  if (mismatch.length) why.push(`"schema validation mismatch" warning: ${mismatch.join('; ')}`);
  // Schemathesis exits 1 on any error; when every one was its generator's (above), that is no verdict on the API.
  const generatorOnly = r.errors.length > 0 && apiErrors.length === 0 && r.exitCode === 1;
  if (r.exitCode !== 0 && why.length === 0 && !generatorOnly) why.push(`schemathesis exited with ${r.exitCode}`);
  if (r.cases === 0) why.push('no test case ran');
  return why;
}
