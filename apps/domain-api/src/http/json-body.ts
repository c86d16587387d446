import { UnsupportedMediaTypeException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ValidationError } from '@herald/domain/tenancy';

interface BodyRequest {
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/**
 * The request's JSON body: 415 when it was sent as something else than JSON, 400 when there is
 * none (an operation that documents a body requires one: a PATCH without one is not "change
 * nothing").
 */
export const JsonBody = createParamDecorator((_: unknown, context: ExecutionContext): unknown => {
  const req = context.switchToHttp().getRequest<BodyRequest>();
  const contentType = String(req.headers['content-type'] ?? '');
  if (contentType && !JSON_MEDIA_TYPE.test(contentType)) {
    throw new UnsupportedMediaTypeException(`the request body must be application/json, not ${contentType.split(';')[0]}`);
  }
  if (req.body === undefined) {
    throw new ValidationError('(body): a JSON body is required (Content-Type: application/json)', [
      { path: '(body)', message: 'a JSON body is required' },
    ]);
  }
  return req.body;
});
