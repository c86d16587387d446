import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { fuzzEnv, seedDocument, startApiStack, type ApiStack } from './api-stack';
import { FuzzSetupError, SCHEMATHESIS_VERSION, ensureSchemathesis, runSchemathesis, venvPython, type FuzzResult } from './schemathesis';
import { verdict } from './verdict';

/*
 * `npm run fuzz:api`: schemathesis (coverage, fuzzing and stateful phases; positive
 * and negative data; every check) against the domain API's and the registry's OpenAPI
 * documents, on the services `npm start` runs or on a stack started here (fresh database and
 * Kafka namespace), with an API key made through the CLI. Bounded: FUZZ_MAX_EXAMPLES cases per
 * operation and phase, FUZZ_MAX_SECONDS per document. Pass: 0 responses 5xx, 0 failed checks
 * (every error in the documented shape and status), 0 run errors, no "schema validation
 * mismatch" warning (bench/fuzz/verdict.ts). Writes bench/results/fuzz.md; exits non-zero on failure.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = path.join(ROOT, 'bench', 'results');
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const P = {
  maxExamples: num('FUZZ_MAX_EXAMPLES', 25),
  maxSeconds: num('FUZZ_MAX_SECONDS', 600),
  workers: num('FUZZ_WORKERS', 2),
  seed: process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : undefined,
  /** `own`: always start a stack here, even when npm start's services answer. */
  stack: process.env['FUZZ_STACK'] ?? 'auto',
  /** Comma-separated: domain-api, subscription-registry (default both). */
  targets: (process.env['FUZZ_TARGETS'] ?? 'domain-api,subscription-registry').split(',').map((t) => t.trim()),
};
const t0 = Date.now();
const log = (msg: string) => process.stdout.write(`[fuzz:api +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);

interface Target {
  name: string;
  url: (s: ApiStack) => string;
}
const TARGETS: Target[] = [
  { name: 'domain-api', url: (s) => s.domainUrl },
  { name: 'subscription-registry', url: (s) => s.registryUrl },
];

function markdown(results: Array<{ target: string; result: FuzzResult; why: string[] }>, stack: ApiStack, load: number[]): string {
  const rows = results.map(
    ({ target, result: r, why }) =>
      `| ${target} | ${r.operations} | ${r.cases} | ${r.serverErrors} | ${r.failures.length} | ${r.errors.length} | ${r.warnings.length ? r.warnings.join('; ') : '–'} | ${(r.durationMs / 1000).toFixed(0)} s | ${why.length ? `FAIL (${why.join(', ')})` : 'pass'} |`,
  );
  const failures = results.flatMap(({ target, result }) =>
    [...result.failures, ...result.errors].map((f) => `- ${target}: \`${f.operation}\` — ${f.code ? `${f.code} ` : ''}${f.title}`),
  );
  return [
    '# `npm run fuzz:api` — schemathesis against both OpenAPI documents',
    '',
    `Run ${new Date().toISOString()} on this machine (${cpus().length} cores, load average ${load.map((l) => l.toFixed(2)).join(' / ')} at the start), ` +
      `schemathesis ${SCHEMATHESIS_VERSION} on Python ${venvPython()?.join('.') ?? '?'}, services: ${stack.source === 'own' ? 'started by the script (fresh database and Kafka namespace)' : 'those `npm start` runs'}.`,
    '',
    `Phases: coverage, fuzzing, stateful (the document the fuzzer reads gets examples naming real rows of the fuzzing tenant); positive and negative data; every check; ${P.maxExamples} cases per operation and phase, ` +
      `at most ${P.maxSeconds} s per document${P.seed !== undefined ? `, seed ${P.seed}` : ''}. ` +
      'Pass: 0 responses 5xx, 0 failed checks (every answer in the documented status and shape: problem+json on the native routes, each dialect\'s own on its routes), 0 run errors, no "schema validation mismatch" warning. ' +
      'A schema-valid request may be refused with 422 (well-formed but naming a row the tenant does not have), never with 400 (see bench/fuzz/schemathesis.toml).',
    '',
    '| document | operations | cases | 5xx | failed checks | run errors | warnings | time | verdict |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |',
    ...rows,
    '',
    ...(failures.length ? ['## Failures', '', ...failures, ''] : []),
  ].join('\n');
}

async function main(): Promise<number> {
  const load = loadavg();
  const infraPath = path.join(ROOT, 'tools', 'dev-infra', 'lib', 'infra.js');
  const { ensureInfra, applyToEnv } = require(infraPath) as { ensureInfra: () => Promise<unknown>; applyToEnv: (i: unknown) => void };
  let bin: string;
  try {
    bin = await ensureSchemathesis(log);
  } catch (e) {
    if (e instanceof FuzzSetupError) {
      process.stderr.write(`fuzz:api: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  applyToEnv(await ensureInfra());
  const stack = await startApiStack('fuzz', { reuse: P.stack !== 'own', log });
  log(`rows the requests may name: ${JSON.stringify(stack.rows)}`);
  const results: Array<{ target: string; result: FuzzResult; why: string[] }> = [];
  try {
    for (const target of TARGETS.filter((t) => P.targets.includes(t.name))) {
      const baseUrl = target.url(stack);
      log(`${target.name}: schemathesis against ${baseUrl}/openapi.json (≤ ${P.maxExamples} cases per operation and phase, ≤ ${P.maxSeconds} s)…`);
      const result = await runSchemathesis(bin, {
        baseUrl,
        apiKey: stack.apiKey,
        rows: stack.rows,
        env: fuzzEnv(stack),
        prepareDocument: (d) => seedDocument(d, stack.rows, `${stack.receiverUrl}/hook`),
        maxExamples: P.maxExamples,
        maxTimeSeconds: P.maxSeconds,
        workers: P.workers,
        seed: P.seed,
        reportPath: path.join(ROOT, '.herald', 'fuzz', `${target.name}.ndjson`),
        onLine: process.env['FUZZ_ECHO'] === '1' ? (l) => process.stdout.write(`  ${l}\n`) : undefined,
      });
      writeFileSync(path.join(ROOT, '.herald', 'fuzz', `${target.name}.out`), result.output);
      const why = verdict(result);
      results.push({ target: target.name, result, why });
      log(
        `${target.name}: ${result.cases} cases, ${result.operations} operations, ${result.failures.length} failures, ${result.serverErrors} responses 5xx` +
          `${result.warnings.length ? `, warnings: ${result.warnings.join('; ')}` : ''} — ${why.length ? `FAIL: ${why.join(', ')}` : 'pass'}`,
      );
      for (const f of [...result.failures, ...result.errors].slice(0, 40)) log(`  ${f.operation}: ${f.code ? `${f.code} ` : ''}${f.title}`);
    }
  } finally {
    await stack.stop();
  }
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'fuzz.md'), markdown(results, stack, load));
  log(`wrote bench/results/fuzz.md (full output in .herald/fuzz/)`);
  const failed = results.filter((r) => r.why.length > 0);
  const total = (k: 'cases' | 'operations' | 'serverErrors') => results.reduce((n, r) => n + r.result[k], 0);
  console.log(
    `fuzz:api: ${total('cases')} cases, ${total('operations')} operations, ${results.reduce((n, r) => n + r.result.failures.length, 0)} failures, ${total('serverErrors')} responses 5xx — ${failed.length ? 'FAIL' : 'pass'}`,
  );
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fuzz:api: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
