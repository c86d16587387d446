// One ESLint config for the workspace. The module-boundary rule is what keeps the
// architecture honest: an app may not import another app, and a service's libs may not
// import another service's libs. No '*' escape hatch: every tag pair is spelled out.
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

const services = ['domain-api', 'subscription-registry', 'event-router', 'delivery-dispatcher'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  { ignores: ['**/dist', '**/node_modules', '.herald/**', '.nx/**', 'coverage/**', 'tools/dev-infra/**/*.js', 'bench/results/**', 'libs/client/src/generated/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Layering: apps sit on top; nothing depends on an app.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // Scopes: a service's code sees its own scope and the shared one.
            ...services.map((s) => ({
              sourceTag: `scope:${s}`,
              onlyDependOnLibsWithTags: [
                `scope:${s}`,
                'scope:shared',
                // The dialects are thin mappers used by two services: the registry (API side)
                // and the router (payload side).
                ...(s === 'subscription-registry' || s === 'event-router' ? ['scope:dialects'] : []),
              ],
            })),
            { sourceTag: 'scope:dialects', onlyDependOnLibsWithTags: ['scope:dialects', 'scope:shared'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:shared', 'scope:tools', ...services.map((s) => `scope:${s}`), 'scope:dialects'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
