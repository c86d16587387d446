import { z } from 'zod';

export class ConfigError extends Error {}

/** Variables whose values never appear in an error line (they may be credentials). */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|(^|_)KEY$/;

/**
 * Parses the environment once, at start-up. A missing or bad variable is ONE line naming it
 * (all bad ones on that line), then the process stops: a service never runs half-configured.
 */
export function parseConfig<T extends z.ZodType>(
  schema: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const name = i.path.join('.') || '(environment)';
    const value = i.path.length ? env[String(i.path[0])] : undefined;
    if (value === undefined) return `${name} is missing (${i.message})`;
    const shown = SECRET_NAME.test(String(i.path[0]))
      ? `(${value.length} characters, not shown)`
      : JSON.stringify(value);
    return `${name}=${shown}: ${i.message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}

export function loadConfigOrExit<T extends z.ZodType>(
  service: string,
  schema: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<T> {
  try {
    return parseConfig(schema, env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`[${service}] ${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
}
