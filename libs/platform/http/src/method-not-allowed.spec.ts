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
  },
};

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
});
