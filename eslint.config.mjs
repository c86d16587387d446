// One ESLint config for the workspace. The module-boundary rule is what keeps the
// architecture honest: an app may not import another app, a service's libs may not import
// another service's libs, and production code may not import test support. No '*' escape
// hatch: every tag pair is spelled out.
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

const services = ['domain-api', 'subscription-registry', 'event-router', 'delivery-dispatcher'];

/**
 * Layers, bottom up: the contracts (topics, keys, schemas) depend on nothing of ours; the
 * platform libs (config, db, kafka, http, observability, crypto) on the contracts; the feature
 * libs on both; apps on all three. `type:testing` (@herald/platform/testing) is test support:
 * only test files use it — and the projects that are tests or measurements through and
 * through, the e2e suite (`type:e2e`) and the benchmarks (`type:bench`).
 */
const layers = {
  'type:contracts': [],
  'type:platform': ['type:platform', 'type:contracts'],
  'type:lib': ['type:lib', 'type:platform', 'type:contracts'],
  'type:app': ['type:lib', 'type:platform', 'type:contracts'],
  'type:testing': ['type:testing', 'type:lib', 'type:platform', 'type:contracts'],
  'type:e2e': ['type:testing', 'type:lib', 'type:platform', 'type:contracts'],
  'type:bench': ['type:testing', 'type:lib', 'type:platform', 'type:contracts'],
};

/** Scopes: a service's code sees its own scope and the shared one. */
const scopes = [
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
  // Tools and benchmarks drive the whole system: every scope, each layer rule still applies.
  ...['scope:tools', 'scope:bench'].map((tag) => ({
    sourceTag: tag,
    onlyDependOnLibsWithTags: ['scope:shared', tag, ...services.map((s) => `scope:${s}`), 'scope:dialects'],
  })),
];

/** Test files: specs, the apps' test harnesses, and libs' `testing` folders. */
const TEST_FILES = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'apps/*/test/**/*.ts', '**/testing/**/*.ts', '**/testing.ts'];

const boundaries = ({ tests }) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      ...Object.entries(layers).map(([sourceTag, deps]) => ({
        sourceTag,
        onlyDependOnLibsWithTags: tests && !deps.includes('type:testing') ? [...deps, 'type:testing'] : deps,
      })),
      ...scopes,
    ],
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  { ignores: ['**/dist', '**/node_modules', '.herald/**', '.nx/**', 'coverage/**', 'tools/dev-infra/**/*.js', 'bench/results/**', 'libs/client/src/generated/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ tests: false }),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: TEST_FILES,
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ tests: true }),
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
];
