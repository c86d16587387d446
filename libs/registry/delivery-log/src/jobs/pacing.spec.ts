import { chunked, Pacer } from './pacing';

describe('chunked', () => {
  it('cuts by count and by bytes, and sends an item larger than the limit alone', () => {
    const sizes = [100, 100, 100, 950, 2_000, 50, 50];
    const chunks = chunked(sizes, 2, 1_000, (s) => s);
    expect(chunks).toEqual([[100, 100], [100], [950], [2_000], [50, 50]]);
    expect(chunked([], 10, 10, () => 1)).toEqual([]);
  });
});

describe('Pacer', () => {
  it('waits so that what was sent is due at the rate, never before', async () => {
    let now = 1_000;
    const waits: number[] = [];
    const pacer = new Pacer(
      100,
      () => now,
      async (ms) => {
        waits.push(ms);
        now += ms;
      },
    );
    await pacer.sent(50); // 50 at 100/s: due 500 ms after the start
    expect(waits).toEqual([500]);
    now += 1_000; // slow producer: already behind the rate, no wait
    await pacer.sent(10);
    expect(waits).toEqual([500]);
    await pacer.sent(100); // 160 sent: due at 1,600 ms; now is at 1,500 ms
    expect(waits).toEqual([500, 100]);
  });
});
