// Types of build.js (plain CommonJS) for the TypeScript that uses it (the test harness, tests).
export const KEEP_BUILDS: number;
export function servicesFrom(env?: Record<string, string | undefined>): 'build' | 'source';
export function buildKey(root?: string, compileJs?: string): { key: string; files: number };
export interface BuildResult {
  dir: string;
  key: string;
  compiled: boolean;
  ms: number;
}
export function ensureBuild(options?: { root?: string; buildsDir?: string; compileJs?: string; log?: (line: string) => void }): Promise<BuildResult>;
export function pruneBuilds(buildsDir: string, keep?: number): void;
export function listBuilds(buildsDir: string): { name: string; dir: string; mtimeMs: number }[];
export function compiledEntry(buildDir: string, tsEntry: string): string;
export function serviceBuildDir(options?: { env?: Record<string, string | undefined>; log?: (line: string) => void }): Promise<string | undefined>;
