import { slotIsLost } from './logical-replication-relay';

describe('slotIsLost', () => {
  it('is true only for a slot the server invalidated', () => {
    expect(slotIsLost({ wal_status: 'lost' })).toBe(true);
    for (const status of ['reserved', 'extended', 'unreserved', null]) {
      expect(slotIsLost({ wal_status: status })).toBe(false);
    }
  });
});
