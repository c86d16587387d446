import type { FuzzResult } from './schemathesis';

/**
 * Why a run does not pass, or an empty list. The same rule for both documents and for the short
 * run in `npm test`: 0 responses 5xx, 0 failed checks, 0 run errors, no "schema validation
 * mismatch" warning, schemathesis exiting 0, at least one case run.
 *
 * A run error fails the run whatever raised it. An error inside schemathesis' generator is no
 * answer of the API, but it means some cases were never sent: Hypothesis' FailedHealthCheck
 * (everything drawn for an operation was filtered out: GET /v1/me, whose only inputs were
 * credential headers nothing can make invalid) or a FlakyFailure (CPython 3.11.7's AST state
 * shared between the generator's threads, see schemathesis.ts) left operations untested while
 * the run was called a pass. Each such cause is removed where it comes from instead.
 */
export function verdict(r: FuzzResult): string[] {
  const why: string[] = [];
  if (r.serverErrors > 0) why.push(`${r.serverErrors} responses 5xx`);
  if (r.failures.length > 0) why.push(`${r.failures.length} failed checks`);
  if (r.errors.length > 0) why.push(`${r.errors.length} run errors`);
  const mismatch = r.warnings.filter((w) => /validation mismatch/i.test(w));
  if (mismatch.length) why.push(`"schema validation mismatch" warning: ${mismatch.join('; ')}`);
  if (r.exitCode !== 0 && why.length === 0) why.push(`schemathesis exited with ${r.exitCode}`);
  if (r.cases === 0) why.push('no test case ran');
  return why;
}
