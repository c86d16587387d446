import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { firstTenantCommands } from './first-tenant';

const ROOT = join(__dirname, '..', '..');

// What docs/operations.md's "First tenant" runs in the container, the same under docker compose and
// on Kubernetes; deploy/compose.spec.ts and k8s/manifests.spec.ts check where each one runs it.
describe('docs/operations.md "First tenant"', () => {
  const { compose, kubernetes } = firstTenantCommands();

  it.each([
    ['docker compose run', compose],
    ['kubectl exec', kubernetes],
  ] as const)('documents tenant:create (and the registry CLI) with %s', (_how, commands) => {
    expect(commands.map((c) => c.inContainer[2])).toEqual(['tenant:create', 'worksection:admin-key']);
  });

  it.each([...compose, ...kubernetes].map((c) => [c.text, c] as const))(
    "%s: runs an app's CLI (node dist/apps/<app>/src/cli.js)",
    (_text, command) => {
      expect(command.inContainer[0]).toBe('node');
      expect(command.app).toBeDefined();
      expect(existsSync(join(ROOT, 'apps', command.app!, 'src', 'cli.ts'))).toBe(true);
    },
  );
});
