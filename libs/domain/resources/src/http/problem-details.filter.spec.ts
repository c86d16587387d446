import { ArgumentsHost, BadRequestException, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ConflictError, NotFoundError, ValidationError, AuthenticationError } from '@herald/domain/tenancy';
import { ProblemDetailsFilter } from './problem-details.filter';

function respond(exception: unknown) {
  const sent: { status?: number; type?: string; body?: Record<string, unknown>; headers: Record<string, string> } = { headers: {} };
  const res = {
    setHeader: (n: string, v: string) => (sent.headers[n] = v),
    status(code: number) {
      sent.status = code;
      return res;
    },
    type(t: string) {
      sent.type = t;
      return res;
    },
    send(body: string) {
      sent.body = JSON.parse(body) as Record<string, unknown>;
    },
  };
  const host = {
    switchToHttp: () => ({ getRequest: () => ({ url: '/v1/tasks/1', originalUrl: '/v1/tasks/1?x=1' }), getResponse: () => res }),
  } as unknown as ArgumentsHost;
  new ProblemDetailsFilter().catch(exception, host);
  return sent;
}

// The filter logs 500s; the test's deliberate one need not reach the console.
beforeAll(() => Logger.overrideLogger(false));

describe('ProblemDetailsFilter', () => {
  it('answers domain errors as RFC 9457 problem details with their status', () => {
    const r = respond(new NotFoundError('task', '1'));
    expect(r.status).toBe(404);
    expect(r.type).toBe('application/problem+json');
    expect(r.body).toEqual({
      type: 'https://herald.dev/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: 'task 1 was not found',
      instance: '/v1/tasks/1?x=1',
    });
    expect(respond(new ConflictError('taken')).status).toBe(409);
  });

  it('lists field errors of a validation error', () => {
    const r = respond(new ValidationError('name: required', [{ path: 'name', message: 'required' }]));
    expect(r.status).toBe(400);
    expect(r.body?.['errors']).toEqual([{ path: 'name', message: 'required' }]);
  });

  it('asks for credentials on a 401', () => {
    const r = respond(new AuthenticationError('missing credentials'));
    expect(r.status).toBe(401);
    expect(r.headers['WWW-Authenticate']).toMatch(/^Bearer/);
  });

  it("keeps Nest's HTTP exceptions' status and hides internals of anything else", () => {
    expect(respond(new BadRequestException('Unexpected token')).body).toMatchObject({ status: 400, detail: 'Unexpected token' });
    expect(respond(new NotFoundException('Cannot GET /nope')).status).toBe(404);
    expect(respond(Object.assign(new Error('duplicate key'), { code: '23505' })).status).toBe(409);
    const internal = respond(new Error('connection string postgres://secret@db'));
    expect(internal.status).toBe(500);
    expect(JSON.stringify(internal.body)).not.toContain('secret');
  });

  it("passes terminus' readiness report through as it is", () => {
    const report = { status: 'error', info: {}, error: { kafka: { status: 'down' } }, details: { kafka: { status: 'down' } } };
    const r = respond(new ServiceUnavailableException(report));
    expect(r.status).toBe(503);
    expect(r.type).toBe('application/json');
    expect(r.body).toEqual(report);
  });
});
