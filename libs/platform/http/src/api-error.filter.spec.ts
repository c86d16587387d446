import { Logger } from '@nestjs/common';
import { ApiErrorFilter, type ErrorAnswer } from './api-error.filter';

class Refusal extends Error {}

class TeapotFilter extends ApiErrorFilter {
  constructor() {
    super('TeapotFilter');
  }

  protected answer(e: unknown): ErrorAnswer | undefined {
    return e instanceof Refusal ? { status: 418, body: { why: e.message } } : undefined;
  }

  protected internalError(): ErrorAnswer {
    return { status: 500, body: { why: 'internal' } };
  }
}

function answered(e: unknown, req: object = { url: '/' }) {
  const out: { status?: number; body?: unknown } = {};
  const res = { status: (s: number) => ((out.status = s), { json: (b: unknown) => void (out.body = b) }) };
  new TeapotFilter().catch(e, { switchToHttp: () => ({ getResponse: () => res, getRequest: () => req }) } as never);
  return out;
}

describe('ApiErrorFilter', () => {
  afterEach(() => jest.restoreAllMocks());

  it("answers what the API knows in the API's own shape, without logging it", () => {
    const log = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    expect(answered(new Refusal('short and stout'))).toEqual({ status: 418, body: { why: 'short and stout' } });
    expect(log).not.toHaveBeenCalled();
  });

  it("answers anything else with the API's own 500, never its internals, and logs its stack", () => {
    const log = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const bug = new TypeError('secret internals');
    expect(answered(bug)).toEqual({ status: 500, body: { why: 'internal' } });
    expect(log).toHaveBeenCalledWith(expect.stringContaining('TypeError: secret internals'));
    answered('a string thrown');
    expect(log).toHaveBeenLastCalledWith('a string thrown');
  });

  it("logs a bug with the request's own logger when it has one (its id, method and path on the line), as Nest's Logger would", () => {
    const nest = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const reqLog = { error: jest.fn() };
    expect(answered(new TypeError('secret internals'), { url: '/', log: reqLog })).toEqual({ status: 500, body: { why: 'internal' } });
    expect(reqLog.error).toHaveBeenCalledWith({ context: 'TeapotFilter' }, expect.stringContaining('TypeError: secret internals'));
    expect(nest).not.toHaveBeenCalled();
  });
});
