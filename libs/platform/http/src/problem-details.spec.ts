import { BadRequestException, ConflictException } from '@nestjs/common';
import { z } from 'zod';
import { fieldProblemsOf, httpExceptionProblem, problem, sendProblem } from './problem-details';

describe('problem details', () => {
  it("types a problem by its status, keeps a given slug, and lists field errors only when there are some", () => {
    expect(problem(404, 'task 1 was not found', '/v1/tasks/1')).toEqual({
      type: 'https://herald.dev/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: 'task 1 was not found',
      instance: '/v1/tasks/1',
    });
    expect(problem(422, 'x', '/i', { slug: 'immutable-field' }).type).toBe('https://herald.dev/problems/immutable-field');
    expect(problem(418, 'x', '/i').type).toBe('about:blank');
    expect(problem(400, 'x', '/i', { errors: [] })).not.toHaveProperty('errors');
    expect(problem(400, 'x', '/i', { errors: [{ path: 'a', message: 'm' }] }).errors).toEqual([{ path: 'a', message: 'm' }]);
  });

  it("keeps a Nest HTTP exception's status and message (several messages joined)", () => {
    expect(httpExceptionProblem(new ConflictException('taken'), '/i')).toMatchObject({ status: 409, detail: 'taken' });
    expect(httpExceptionProblem(new BadRequestException(['a', 'b']), '/i').detail).toBe('a; b');
  });

  it('sends problem+json and asks for credentials on a 401', () => {
    const sent: { headers: Record<string, string>; status?: number; type?: string; body?: string } = { headers: {} };
    const res = {
      setHeader: (n: string, v: string) => void (sent.headers[n] = v),
      status: (c: number) => ((sent.status = c), res),
      type: (t: string) => ((sent.type = t), res),
      send: (b: string) => void (sent.body = b),
    };
    sendProblem(res, problem(401, 'missing credentials', '/i'));
    expect(sent).toMatchObject({ status: 401, type: 'application/problem+json', headers: { 'WWW-Authenticate': 'Bearer realm="herald"' } });
    expect(JSON.parse(sent.body ?? '')).toMatchObject({ status: 401, type: 'https://herald.dev/problems/unauthenticated' });
  });

  it("turns zod's issues into dotted field paths after a prefix", () => {
    const r = z.strictObject({ headers: z.array(z.strictObject({ name: z.string() })) }).safeParse({ headers: [{ name: 1 }] });
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(fieldProblemsOf(r.error)).toEqual([{ path: 'headers.0.name', message: expect.any(String) }]);
    expect(fieldProblemsOf(r.error, ['defaults'])[0]?.path).toBe('defaults.headers.0.name');
  });
});
