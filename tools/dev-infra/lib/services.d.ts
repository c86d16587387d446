// Types of services.js for the TypeScript that uses it (the test harness, benchmarks).

export interface ServiceDef {
  app: string;
  defaultPort: number | undefined;
  portEnv: string | undefined;
  title: string;
  links: [string, string][];
}

export interface ServiceInfo {
  app: string;
  title: string;
  port: number;
  portEnv: string;
  /** apps/<app>/src/main.ts, relative to the repo root. */
  entry: string;
  url: string;
  links: [string, string][];
}

export interface InfraUrls {
  databaseUrl?: string;
  kafkaBrokers?: string;
}

export type Env = Record<string, string | undefined>;

export const SERVICES: ServiceDef[];
export const SECRETS_KEY_FILE: string;
export function serviceDef(app: string): ServiceDef;
export function entryOf(app: string): string;
export function resolvePorts(env?: Env): Record<string, number>;
export function listServices(options?: { env?: Env; all?: boolean }): ServiceInfo[];
export function listMigrations(): { app: string; entry: string }[];
/** The node flags of a long-running service (the image's CMD has the same). */
export const SERVICE_NODE_FLAGS: readonly string[];
/** glibc malloc settings in every service's environment (the image's ENV has the same). */
export const SERVICE_MALLOC_ENV: Readonly<Record<string, string>>;
/** The node flags of an entry: a service's `main` SERVICE_NODE_FLAGS (+ --enable-source-maps with env HERALD_SOURCE_MAPS=1), others --enable-source-maps. */
export function nodeFlags(entry: string, env?: Env): string[];
/** `node <nodeArgs(entry)>` runs a TypeScript entry point through @swc-node/register. */
export function nodeArgs(entry: string, env?: Env): string[];
/** `node <runArgs(entry, buildDir)>` runs the entry's compiled file in buildDir (lib/build.js), or the TypeScript without one; the entry is last. */
export function runArgs(entry: string, buildDir: string | undefined, env?: Env): string[];
export function describeRun(entry: string, buildDir: string | undefined): string;
export function secretsKey(env?: Env): string;
export function buildServiceEnv(options?: {
  app?: string;
  port?: number;
  infra?: InfraUrls;
  base?: Env;
  extra?: Record<string, string | number | undefined | null>;
  nodeEnv?: string;
}): Record<string, string>;
export function waitForReady(
  name: string,
  baseUrl: string,
  options?: { timeoutMs?: number; intervalMs?: number; isAlive?: () => boolean; path?: string },
): Promise<number>;
export function urlTable(services: ServiceInfo[], infra?: InfraUrls): string[];
