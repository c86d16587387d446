import { byteChunks } from './outbox-publisher';

describe('byteChunks', () => {
  it('keeps order and splits produce requests by size', () => {
    const msgs = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(300_000) }));
    const chunks = byteChunks(msgs);
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 2, 2, 2]);
    expect(chunks.flat()).toEqual(msgs);
  });

  it('sends small batches in one request and nothing for nothing', () => {
    const msgs = Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(900) }));
    expect(byteChunks(msgs)).toHaveLength(1);
    expect(byteChunks([])).toEqual([]);
  });
});
