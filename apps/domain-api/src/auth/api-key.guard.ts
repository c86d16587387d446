import { CanActivate, ExecutionContext, Injectable, SetMetadata, applyDecorators, createParamDecorator } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { Reflector } from '@nestjs/core';
import type { ApiKeyScope } from '@herald/contracts';
import {
  AuthenticateApiKey,
  AuthenticationError,
  PermissionError,
  type AuthenticatedPrincipal,
} from '@herald/domain/tenancy';

const REQUIRED_SCOPE = 'herald:required-scope';

/**
 * The scope a handler needs when it is not the method's default (GET: read, others: write); also
 * said in the OpenAPI document (x-herald-scope, read by http/auth-docs.ts).
 */
export const RequiresScope = (scope: ApiKeyScope) => applyDecorators(SetMetadata(REQUIRED_SCOPE, scope), ApiExtension('x-herald-scope', scope));

interface AuthRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  principal?: AuthenticatedPrincipal;
}

function header(req: AuthRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * API-key authentication, the two ways the seeds send keys: `Authorization: Bearer <key>`
 * (native, PPM Express) or ProProfs' `key` + `domain` headers (the domain must be the key's
 * tenant's). Then the scope: read for reads, write for changes, or what the handler names.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly authenticate: AuthenticateApiKey,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthRequest>();
    req.principal = await this.authenticate.execute(this.credentials(req));
    const required =
      this.reflector.getAllAndOverride<ApiKeyScope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]) ??
      (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write');
    if (!req.principal.scopes.includes(required)) {
      throw new PermissionError(`the API key lacks the "${required}" scope`);
    }
    return true;
  }

  private credentials(req: AuthRequest): { apiKey: string; domain?: string } {
    const authorization = header(req, 'authorization');
    if (authorization !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!m) throw new AuthenticationError('the Authorization header must be "Bearer <API key>"');
      return { apiKey: m[1] };
    }
    const key = header(req, 'key');
    if (key !== undefined) {
      const domain = header(req, 'domain');
      if (!domain) throw new AuthenticationError('the domain header is required with the key header');
      return { apiKey: key, domain };
    }
    throw new AuthenticationError(
      'missing credentials: send "Authorization: Bearer <API key>", or the "key" and "domain" headers',
    );
  }
}

/** The authenticated caller (set by ApiKeyGuard). */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): AuthenticatedPrincipal => {
  const principal = context.switchToHttp().getRequest<AuthRequest>().principal;
  if (!principal) throw new AuthenticationError('not authenticated');
  return principal;
});
