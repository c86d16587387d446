import { HttpException } from '@nestjs/common';
import { ApiErrorFilter, type ErrorAnswer } from './api-error.filter';
import { methodNotAllowed } from './method-not-allowed';

function answer(document: { paths: Record<string, object> }, method: string, path: string, opts?: Parameters<typeof methodNotAllowed>[1]) {
  const sent: { status?: number; headers: Record<string, string>; body?: Record<string, unknown>; next: boolean } = { headers: {}, next: false };
  const res = {
    setHeader: (n: string, v: string) => (sent.headers[n] = v),
    status(code: number) {
      sent.status = code;
      return res;
    },
    type: () => res,
    send: (body: string) => (sent.body = JSON.parse(body) as Record<string, unknown>),
  };
  methodNotAllowed(document, opts)({ method, path, url: path }, res, () => (sent.next = true));
  return sent;
}

const doc = {
  paths: {
    '/v1/webhooks': { get: {}, post: {} },
    '/v1/webhooks/{id}': { get: {}, patch: {}, delete: {} },
    '/v1/webhooks/me': { get: {} },
    '/v2/hooks': { post: {} },
    '/@{tenant}/{apiVersion}/Webhooks': { get: {}, post: {}, delete: {} },
  },
};

/** A dialect's filter: its own body shape for Nest's HTTP errors. */
class DialectFilter extends ApiErrorFilter {
  constructor() {
    super('test');
  }
  protected answer(e: unknown): ErrorAnswer | undefined {
    return e instanceof HttpException ? { status: e.getStatus(), body: { error: { code: 'MethodNotAllowed', message: e.message } } } : undefined;
  }
  protected internalError(): ErrorAnswer {
    return { status: 500, body: { error: { code: 'InternalServerError', message: 'internal error' } } };
  }
}

describe('methodNotAllowed', () => {
  it('answers 405 problem+json with Allow (GET brings HEAD) for a documented path and an undocumented method', () => {
    const r = answer(doc, 'TRACE', '/v1/webhooks');
    expect(r).toMatchObject({ status: 405, headers: { Allow: 'GET, HEAD, POST' }, next: false });
    expect(r.body).toMatchObject({ status: 405, type: 'https://herald.dev/problems/method-not-allowed' });
  });

  it('passes documented methods, HEAD of a GET, and paths outside the document through', () => {
    expect(answer(doc, 'GET', '/v1/webhooks').next).toBe(true);
    expect(answer(doc, 'HEAD', '/v1/webhooks/abc').next).toBe(true);
    expect(answer(doc, 'PUT', '/v1/nothing').next).toBe(true);
  });

  it('a literal segment wins over a parameter: /v1/webhooks/me allows what it documents, not what {id} does', () => {
    expect(answer(doc, 'OPTIONS', '/v1/webhooks/me').headers['Allow']).toBe('GET, HEAD');
    expect(answer(doc, 'PUT', '/v1/webhooks/abc').headers['Allow']).toBe('DELETE, GET, HEAD, PATCH');
  });

  it('leaves the paths the filter excludes (a dialect answers in its own shape)', () => {
    expect(answer(doc, 'GET', '/v2/hooks', { paths: (p) => p.startsWith('/v1/') }).next).toBe(true);
  });

  // Found by npm run fuzz:api on the dialect routes (ST204): PUT /v2/hooks was a 404 problem+json.
  it("answers a dialect's path in that dialect's shape, and matches a parameter inside a segment (/@{tenant}/…)", () => {
    const apiOf = (p: string) => (p.startsWith('/v1/') ? undefined : new DialectFilter());
    const r = answer(doc, 'PUT', '/@acme/v1/Webhooks', { apiOf });
    expect(r).toMatchObject({ status: 405, headers: { Allow: 'DELETE, GET, HEAD, POST' }, next: false });
    expect(r.body).toEqual({ error: { code: 'MethodNotAllowed', message: expect.stringContaining('PUT is not allowed on /@acme/v1/Webhooks') } });
    expect(answer(doc, 'GET', '/v2/hooks', { apiOf }).body).toMatchObject({ error: { code: 'MethodNotAllowed' } });
    expect(answer(doc, 'TRACE', '/v1/webhooks', { apiOf }).body).toMatchObject({ status: 405, type: 'https://herald.dev/problems/method-not-allowed' });
  });
});
