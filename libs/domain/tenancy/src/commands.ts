import { z } from 'zod';
import { API_KEY_SCOPES, ApiKeyScopeSchema } from '@herald/contracts';
import { ValidationError, fieldErrors } from './errors';
import { safeText } from './text';

export const SlugSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and "-", at most 63, e.g. "acme"');
export const DomainNameSchema = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i,
    'a host name, e.g. "acme.projectbubble.com"',
  )
  .transform((d) => d.toLowerCase());
export const FullNameSchema = safeText(200, { notBlank: true, trim: true });
/**
 * An e-mail address, stored lower-case. A pattern rather than JSON Schema's `format: email`,
 * which every validator reads its own way: the OpenAPI document shows this same pattern.
 */
export const EMAIL_PATTERN = /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
export const EmailSchema = z
  .string()
  .max(320)
  .regex(EMAIL_PATTERN, 'a valid e-mail address')
  .transform((e) => e.toLowerCase());
export const ScopesSchema = z
  .array(ApiKeyScopeSchema)
  .min(1, `at least one of ${API_KEY_SCOPES.join(', ')}`)
  .transform((s) => [...new Set(s)].sort((a, b) => API_KEY_SCOPES.indexOf(a) - API_KEY_SCOPES.indexOf(b)));

export const CreateTenantCommandSchema = z.strictObject({
  slug: SlugSchema,
  domain: DomainNameSchema,
  name: safeText(200, { notBlank: true, trim: true }).optional(),
  adminName: FullNameSchema,
  adminEmail: EmailSchema,
});
export type CreateTenantCommand = z.input<typeof CreateTenantCommandSchema>;

export const CreateUserCommandSchema = z.strictObject({
  tenantId: z.uuid(),
  fullName: FullNameSchema,
  email: EmailSchema,
  isAdmin: z.boolean().default(false),
});
export type CreateUserCommand = z.input<typeof CreateUserCommandSchema>;

export const CreateApiKeyCommandSchema = z.strictObject({
  tenantId: z.uuid(),
  /** A user id, or the user's e-mail. */
  user: z.string().min(1),
  scopes: ScopesSchema.default([...API_KEY_SCOPES]),
  label: safeText(200, { trim: true }).nullish(),
});
export type CreateApiKeyCommand = z.input<typeof CreateApiKeyCommandSchema>;

/**
 * An integer query parameter: decimal digits only (what the OpenAPI document's `integer` means
 * in a query string; `Number()` would also take "", " 5", "1e3" and "0x10"), within [min, max].
 */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^-?[0-9]{1,10}$/, 'an integer')
    .transform(Number)
    .pipe(z.int32().min(min).max(max));
}

/** Parses a command, turning zod issues into one ValidationError naming every bad field. */
export function parseCommand<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const errors = fieldErrors(r.error.issues);
  throw new ValidationError(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
}
