import { PROCORE_MAX_PAGE, PROCORE_MAX_PER_PAGE } from '@herald/dialects/procore';
import { thrownBy } from '@herald/platform/testing';
import { filterAnswer } from '@herald/registry/subscriptions/testing';
import { ProcoreErrorFilter, ProcoreHttpError } from './procore-errors';
import { deliveryQuery } from './procore-query';

function refusal(q: Record<string, unknown>): unknown {
  try {
    deliveryQuery(q);
  } catch (e) {
    if (!(e instanceof ProcoreHttpError)) throw e;
    return { status: e.status, body: e.body };
  }
  return 'accepted';
}

/*
 * Issue 12.6 / 13.3: a bad or huge page, per_page or page_size was silently replaced (clamped to
 * 100,000 / 1,000, or the default for `abc`, `0`, `-1`), so a client got another page than the
 * one it asked for without knowing. The Procore seed document promises no clamping: such a value
 * is Procore's 400 naming the parameter, in its {"errors": {field: [messages]}} shape.
 */
describe("Procore deliveries' paging parameters", () => {
  it('take whole numbers within the documented bounds; absent or empty is the default', () => {
    expect(deliveryQuery({})).toMatchObject({ page: 1, perPage: 100 });
    expect(deliveryQuery({ page: '', per_page: '' })).toMatchObject({ page: 1, perPage: 100 });
    expect(deliveryQuery({ page: '1', per_page: '1' })).toMatchObject({ page: 1, perPage: 1 });
    expect(deliveryQuery({ page: String(PROCORE_MAX_PAGE), per_page: String(PROCORE_MAX_PER_PAGE) })).toMatchObject({ page: 100_000, perPage: 1000 });
    expect(deliveryQuery({ page: '007', page_size: '25' })).toMatchObject({ page: 7, perPage: 25 });
    // v1.0's page_size; per_page wins when both are given.
    expect(deliveryQuery({ page_size: '10', per_page: '20' })).toMatchObject({ perPage: 20 });
  });

  it.each([
    ['page', 'abc'],
    ['page', '0'],
    ['page', '-1'],
    ['page', '1.5'],
    ['page', '1e3'],
    ['page', ' 5'],
    ['page', '0x10'],
    ['page', '100001'],
    ['page', '99999999999999999999'],
    ['per_page', '0'],
    ['per_page', '1001'],
    ['per_page', '5000'],
    ['per_page', 'NaN'],
    ['page_size', '0'],
    ['page_size', '1001'],
    ['page_size', 'ten'],
  ])("answer %s=%s with Procore's 400 naming it", (key, value) => {
    expect(refusal({ [key]: value })).toEqual({ status: 400, body: { errors: { [key]: [expect.stringMatching(/^must be a whole number from 1 to (100000|1000)$/)] } } });
  });

  it('refuse a parameter given twice, or with brackets (not one number), and name every bad one', () => {
    expect(refusal({ page: ['1', '2'] })).toEqual({ status: 400, body: { errors: { page: [expect.any(String)] } } });
    expect(refusal({ per_page: { a: '1' } })).toEqual({ status: 400, body: { errors: { per_page: [expect.any(String)] } } });
    expect(refusal({ page: '0', per_page: '1001', page_size: '-3' })).toEqual({
      status: 400,
      body: { errors: { page: [expect.any(String)], per_page: [expect.any(String)], page_size: [expect.any(String)] } },
    });
  });

  it("are answered by the dialect's error filter in Procore's validation shape", () => {
    const thrown = thrownBy(() => deliveryQuery({ per_page: '100000' }), ProcoreHttpError);
    expect(filterAnswer(new ProcoreErrorFilter(), thrown)).toEqual({ status: 400, body: { errors: { per_page: ['must be a whole number from 1 to 1000'] } } });
  });
});
