// Three jest projects, named for what a test needs (see README, "Tests"):
//   unit: *.spec.ts      no I/O
//   int:  *.int-spec.ts  real Postgres and Kafka (started by tools/dev-infra)
//   e2e:  *.e2e-spec.ts  the services as separate processes
const { readFileSync } = require('node:fs');
const path = require('node:path');

const swcrc = JSON.parse(readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace(/[/\\^$.*+?()[\]{}|-]/g, '\\$&')}$`,
    path.join(__dirname, target),
  ]),
);

const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools', '<rootDir>/k8s', '<rootDir>/deploy', '<rootDir>/bench'].filter((r) =>
    require('node:fs').existsSync(r.replace('<rootDir>', __dirname)),
  ),
  setupFiles: ['reflect-metadata'],
};

const os = require('node:os');
const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;

module.exports = {
  // A global option (jest ignores it inside projects): int and e2e tests wait on real brokers.
  testTimeout: 60_000,
  // Jest's default is one worker fewer than the CPUs: ONE on a 2-core runner, where the suite then
  // ran file after file (22 min, the machine ~75 % idle: int and e2e files mostly wait on the
  // broker, the database and the services they spawn). Each file has its own database and Kafka
  // namespace, so files run side by side safely. HERALD_TEST_WORKERS overrides.
  maxWorkers: Number(process.env.HERALD_TEST_WORKERS) || Math.max(2, cpus),
  projects: [
    { ...base, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    {
      ...base,
      displayName: 'int',
      testMatch: ['**/*.int-spec.ts'],
      testTimeout: 60_000,
      globalSetup: '<rootDir>/libs/platform/testing/src/jest-global-setup.js',
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['**/*.e2e-spec.ts'],
      testTimeout: 180_000,
      globalSetup: '<rootDir>/libs/platform/testing/src/jest-global-setup.js',
    },
  ],
};
