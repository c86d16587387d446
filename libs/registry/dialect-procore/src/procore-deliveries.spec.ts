import { filterOf } from './procore-deliveries';
import type { DeliveryQuery } from './procore-query';

const query = (q: Partial<DeliveryQuery>): DeliveryQuery => ({ page: 1, perPage: 100, ...q });

describe("Procore deliveries' filters", () => {
  it('map Procore statuses (v2.0 and v1.0 spellings) onto the delivery log', () => {
    expect(filterOf(query({ statuses: 'failed' })).statuses).toEqual(['failed']);
    expect(filterOf(query({ statuses: 'failing' })).statuses).toEqual(['failed', 'retrying']);
    expect(filterOf(query({ statuses: 'any' })).statuses).toBeUndefined();
  });

  // Found by the dialect fuzz (fast-check): filters[status]=constructor was a 500 — the lookup
  // found Object.prototype.constructor, a function, and handed it to SQL as a status list.
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('refuse %s with a 400 naming filter[status], like any unknown status', (status) => {
    expect(() => filterOf(query({ statuses: status }))).toThrow(expect.objectContaining({ status: 400, body: { errors: { 'filter[status]': [expect.stringContaining('must be one of')] } } }));
  });
});
