/**
 * The "First tenant" commands of docs/operations.md (docker compose and kubectl), read back as
 * argument lists so that the tests check what the documentation tells an operator to type.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DocumentedCommand {
  /** The whole command as documented (continuations joined). */
  text: string;
  argv: string[];
  /** compose: the service run; kubectl: the Deployment exec'ed into. */
  target: string;
  /** kubectl's `-n` namespace. */
  namespace?: string;
  /** What runs in the container: `node dist/apps/<app>/src/cli.js <command> …`. */
  inContainer: string[];
  /** The app whose CLI runs (`dist/apps/<app>/src/cli.js` under node); undefined for anything else. */
  app?: string;
}

/** The app whose built CLI `node dist/apps/<app>/src/cli.js …` runs. */
function cliAppOf(inContainer: string[]): string | undefined {
  const [node, cli] = inContainer;
  return node === 'node' ? /^dist\/apps\/([a-z-]+)\/src\/cli\.js$/.exec(cli ?? '')?.[1] : undefined;
}

const OPERATIONS_MD = join(__dirname, '..', '..', 'docs', 'operations.md');

/** The anchors of docs/operations.md's `##`–`####` headings, as GitHub makes them (what runbook URLs point at). */
export function operationsAnchors(operations = readFileSync(OPERATIONS_MD, 'utf8')): string[] {
  return operations
    .split('\n')
    .filter((l) => /^#{2,4} /.test(l))
    .map((l) =>
      l
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );
}

/** Shell words of one line: whitespace-separated, "double" and 'single' quotes removed. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

export function firstTenantCommands(
  operations = readFileSync(OPERATIONS_MD, 'utf8'),
): { compose: DocumentedCommand[]; kubernetes: DocumentedCommand[] } {
  const start = operations.indexOf('\n## First tenant\n');
  if (start < 0) throw new Error('docs/operations.md has no "## First tenant" section');
  const section = operations.slice(start + 1, operations.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const lines = blocks
    .flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const compose: DocumentedCommand[] = [];
  const kubernetes: DocumentedCommand[] = [];
  for (const text of lines) {
    const argv = shellWords(text);
    if (argv[0] === 'docker' && argv[1] === 'compose' && argv[2] === 'run') {
      const rest = argv.slice(3);
      const target = rest.find((a) => !a.startsWith('-'));
      if (!target) throw new Error(`no service in: ${text}`);
      const inContainer = rest.slice(rest.indexOf(target) + 1);
      compose.push({ text, argv, target, inContainer, app: cliAppOf(inContainer) });
    } else if (argv[0] === 'kubectl') {
      const n = argv.indexOf('-n');
      const exec = argv.indexOf('exec');
      const dash = argv.indexOf('--');
      const inContainer = argv.slice(dash + 1);
      kubernetes.push({
        text,
        argv,
        namespace: n >= 0 ? argv[n + 1] : undefined,
        target: argv[exec + 1].replace(/^deploy(ment)?\//, ''),
        inContainer,
        app: cliAppOf(inContainer),
      });
    } else {
      throw new Error(`"First tenant" has a command the tests do not know: ${text}`);
    }
  }
  return { compose, kubernetes };
}
