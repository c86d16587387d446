// Types of typecheck.js (plain CommonJS, run before node_modules exists) for the TypeScript tests.
import type { Writable } from 'node:stream';

export interface TypecheckResult {
  ok: boolean;
  errors: number;
  line: string;
}
export function countTscErrors(output: string): number;
export function summarizeTypecheck(r: { code?: number | null; signal?: string | null; error?: Error; output?: string; ms?: number; project?: string }): TypecheckResult;
export function typecheck(opts?: { cwd?: string; project?: string; out?: Writable; tsc?: string }): Promise<TypecheckResult>;
export function tscPath(root?: string): string;
