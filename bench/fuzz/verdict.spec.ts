import type { FuzzResult } from './schemathesis';
import { verdict } from './verdict';

const clean: FuzzResult = {
  exitCode: 0,
  cases: 100,
  operations: 3,
  failures: [],
  errors: [],
  serverErrors: 0,
  warnings: [],
  phases: ['coverage', 'fuzzing', 'stateful'],
  output: '',
  durationMs: 1,
};

/*
 * Issue 13.2: `npm run fuzz:api` called the domain API's run a pass with 10 run errors (Hypothesis'
 * FailedHealthCheck on GET /v1/me and GET /v1/api-keys: cases never sent), while the registry's
 * FAILed on one. One rule for both documents: a run error fails the run, whatever raised it.
 */
describe('fuzz:api verdict', () => {
  it('passes a clean run', () => {
    expect(verdict(clean)).toEqual([]);
  });

  it.each([
    ['FailedHealthCheck', 'FailedHealthCheck: Too many generated examples are filtered out for this operation', 'GET /v1/me'],
    ['FlakyFailure', 'FlakyFailure: Inconsistent results: A test case failed on the first run but now succeeds', 'POST /rest/v1.0/webhooks/hooks'],
    ['SystemError', 'SystemError: AST constructor recursion depth mismatch (before=201, after=188)', 'POST /rest/v1.0/webhooks/hooks'],
    ['RecursionError', 'RecursionError: maximum recursion depth exceeded', 'POST /v1/tasks'],
    ['Unsatisfiable', 'Unsatisfiable: Unable to satisfy schema parameters for this API operation', 'POST /v1/tasks'],
    ['a connection reset', 'ConnectionError: Connection reset by peer', 'POST /v1/tasks'],
  ])('fails a run with a run error (%s), generator errors included', (_kind, title, operation) => {
    expect(verdict({ ...clean, exitCode: 1, errors: [{ operation, title }] })).toEqual(['1 run errors']);
  });

  it('fails on 5xx, failed checks, a validation mismatch warning, a non-zero exit or no case at all', () => {
    expect(verdict({ ...clean, serverErrors: 2 })).toEqual(['2 responses 5xx']);
    expect(verdict({ ...clean, exitCode: 1, failures: [{ operation: 'GET /v1/me', title: 'Undocumented HTTP status code' }] })).toEqual(['1 failed checks']);
    expect(verdict({ ...clean, exitCode: 1, warnings: ['Schema validation mismatch: 1 operation mostly rejected generated data'] })).toEqual([
      '"schema validation mismatch" warning: Schema validation mismatch: 1 operation mostly rejected generated data',
    ]);
    expect(verdict({ ...clean, exitCode: 2 })).toEqual(['schemathesis exited with 2']);
    expect(verdict({ ...clean, cases: 0 })).toEqual(['no test case ran']);
  });
});
