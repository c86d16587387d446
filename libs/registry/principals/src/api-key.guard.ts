import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  ServiceUnavailableException,
  SetMetadata,
  UnauthorizedException,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiKeyScope } from '@herald/contracts';
import { AuthenticationError, Authenticator, MissingScopeError, type AuthenticatedPrincipal } from './authenticator';
import { PrincipalsView } from './principals-view';

const SCOPES = 'herald:required-scopes';

/** The key needs at least one of these scopes for the handler (or the whole controller). */
export const RequireAnyScope = (...scopes: ApiKeyScope[]) => SetMetadata(SCOPES, scopes);

interface RequestWithPrincipal {
  headers: Record<string, string | string[] | undefined>;
  principal?: AuthenticatedPrincipal;
}

/** The principal the guard authenticated. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthenticatedPrincipal => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without BearerApiKeyGuard');
  return principal;
});

/**
 * The native API's guard: `Authorization: Bearer hk_…`, checked against the principals view.
 * 401 for bad credentials, 403 for a missing scope, 503 while the view is still loading (a valid
 * key must not be refused because the registry just started).
 */
@Injectable()
export class BearerApiKeyGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly view: PrincipalsView,
    private readonly reflector: Reflector,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<RequestWithPrincipal>();
    if (!this.view.isCaughtUp) throw new ServiceUnavailableException('still loading principals; retry shortly');
    const header = req.headers['authorization'];
    try {
      const principal = this.authenticator.authenticateBearer(Array.isArray(header) ? header[0] : header);
      const scopes = this.reflector.getAllAndOverride<ApiKeyScope[] | undefined>(SCOPES, [ctx.getHandler(), ctx.getClass()]);
      if (scopes?.length) this.authenticator.requireAnyScope(principal, scopes);
      req.principal = principal;
      return true;
    } catch (e) {
      if (e instanceof AuthenticationError) throw new UnauthorizedException(e.message);
      if (e instanceof MissingScopeError) throw new ForbiddenException(e.message);
      throw e;
    }
  }
}
