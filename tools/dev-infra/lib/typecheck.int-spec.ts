// `npm test`'s type-check step (tools/dev-infra/lib/typecheck.js) against the real compiler:
// a project with a type error fails the step with a count of the errors; a clean one passes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { summarizeTypecheck, typecheck } from './typecheck';

const ROOT = join(__dirname, '..', '..', '..');

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(ROOT, 'tmp', 'typecheck-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [] }, include: ['*.ts'] }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function sink(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { out, text: () => text };
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('npm test type check (tsc --noEmit)', () => {
  it('fails on type errors that swc would strip, counting them in one line, and prints the diagnostics', async () => {
    const dir = project({
      'a.ts': "export const n: number = 'not a number';\n",
      'b.ts': "import { n } from './a';\nexport const s: string = n;\nexport function f(x: { id: string }): number { return x.id; }\n",
    });
    dirs.push(dir);
    const { out, text } = sink();
    const r = await typecheck({ cwd: dir, out });
    expect(r).toMatchObject({ ok: false, errors: 3 });
    // The time is "8.5 s", or "12 s" from ten seconds on (util.formatMs).
    expect(r.line).toMatch(/^types: tsc --noEmit -p tsconfig\.json: 3 errors \(\d+(\.\d)? s\)$/);
    expect(text()).toMatch(/a\.ts\(1,14\): error TS2322/);
  }, 60_000);

  it('passes a clean project with "0 errors"', async () => {
    const dir = project({ 'ok.ts': 'export const n: number = 1;\n' });
    dirs.push(dir);
    const { out, text } = sink();
    const r = await typecheck({ cwd: dir, out });
    expect(r).toMatchObject({ ok: true, errors: 0 });
    expect(r.line).toMatch(/^types: tsc --noEmit -p tsconfig\.json: 0 errors/);
    expect(text()).toBe('');
  }, 60_000);

  it('fails when tsc cannot run or exits non-zero without a diagnostic', async () => {
    const missing = await typecheck({ tsc: join(ROOT, 'tmp', 'no-such-tsc.js') });
    expect(missing).toMatchObject({ ok: false });
    expect(missing.line).toMatch(/could not run: .*no-such-tsc\.js is missing/);
    expect(summarizeTypecheck({ code: null, signal: 'SIGKILL', output: '' })).toMatchObject({
      ok: false,
      line: expect.stringContaining('exit SIGKILL, no diagnostic printed'),
    });
    expect(summarizeTypecheck({ code: 1, output: 'error TS5083: Cannot read file tsconfig.json.\n' }).errors).toBe(1);
  });
});
