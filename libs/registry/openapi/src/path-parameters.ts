import type { OpenAPIObject } from '@nestjs/swagger';

type Parameter = { name: string; in: string; required?: boolean; schema?: unknown; description?: string };

/** What a path parameter no decorator describes is: a project of the tenant (Procore's v2.0 project paths). */
const KNOWN: Record<string, Omit<Parameter, 'name' | 'in'>> = {
  projectId: { required: true, schema: { type: 'string', minLength: 1 }, description: 'A project of your company' },
};

/**
 * Every `{name}` of a path is a declared path parameter, and no path parameter names what its
 * path does not have. One handler serving two paths (Procore's company and project routes) gets
 * its parameters from the first; a generator refuses an operation whose path has an undeclared one.
 */
export function declarePathParameters(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const op of Object.values(item as Record<string, { parameters?: Parameter[] } | undefined>)) {
      if (!op || typeof op !== 'object' || !('responses' in op)) continue;
      const params = (op.parameters ?? []).filter((p) => p.in !== 'path' || names.includes(p.name));
      for (const name of names) {
        if (!params.some((p) => p.in === 'path' && p.name === name)) params.push({ name, in: 'path', ...(KNOWN[name] ?? { required: true, schema: { type: 'string' } }) });
      }
      op.parameters = params;
    }
  }
}
