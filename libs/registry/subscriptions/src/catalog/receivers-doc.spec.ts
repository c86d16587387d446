import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { receiverContractsTable } from './receiver-contracts';

// docs/receivers.md shows the receiver snippets and the receiver contracts; neither is written
// by hand. This spec checks the doc against the files the e2e test runs and against the
// dialect policies; `UPDATE_DOCS=1 npx jest receivers-doc` rewrites the generated parts.

const ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');
const DOC = path.join(ROOT, 'docs', 'receivers.md');
/** Every file the e2e test runs (apps/e2e/src/receivers/snippets.ts) must be shown. */
const SNIPPETS = ['node/receiver.mjs', 'python/requirements.txt', 'python/receiver.py', 'go/go.mod', 'go/main.go'].map(
  (f) => `docs/receivers/${f}`,
);
const LANG: Record<string, string> = { '.mjs': 'js', '.py': 'python', '.txt': 'text', '.mod': 'text', '.go': 'go' };

function fence(file: string): string {
  const text = readFileSync(path.join(ROOT, file), 'utf8').replace(/\n$/, '');
  return `\`\`\`${LANG[path.extname(file)]}\n${text}\n\`\`\``;
}

/** The doc with each generated part replaced by what it must be. */
function regenerated(doc: string): string {
  let out = doc.replace(
    /(<!-- receiver-contracts:[^\n]*-->\n)[\s\S]*?(<!-- end receiver-contracts -->)/,
    (_m, open: string, close: string) => `${open}${receiverContractsTable()}\n${close}`,
  );
  out = out.replace(
    /(<!-- file: (\S+) -->\n)[\s\S]*?(<!-- end file -->)/g,
    (_m, open: string, file: string, close: string) => `${open}${fence(file)}\n${close}`,
  );
  return out;
}

describe('docs/receivers.md', () => {
  const doc = readFileSync(DOC, 'utf8');
  if (process.env['UPDATE_DOCS'] === '1') writeFileSync(DOC, regenerated(doc));

  it('shows each receiver snippet as the very file the e2e test runs', () => {
    const shown = [...doc.matchAll(/<!-- file: (\S+) -->/g)].map((m) => m[1]);
    expect(shown.sort()).toEqual([...SNIPPETS].sort());
    for (const file of SNIPPETS) {
      const block = new RegExp(`<!-- file: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} -->\\n([\\s\\S]*?)\\n<!-- end file -->`).exec(doc);
      expect({ file, block: block?.[1] }).toEqual({ file, block: fence(file) });
    }
  });

  it('has the retry schedule, timeout and success rule of each API as the code sets them', () => {
    const table = /<!-- receiver-contracts:[^\n]*-->\n([\s\S]*?)\n<!-- end receiver-contracts -->/.exec(doc)?.[1];
    expect(table).toBe(receiverContractsTable());
  });

  it('is entirely up to date (run UPDATE_DOCS=1 npx jest receivers-doc after changing a snippet or a policy)', () => {
    expect(regenerated(doc) === doc).toBe(true);
  });
});
