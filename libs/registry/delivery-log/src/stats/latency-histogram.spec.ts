import { bucketOf, LATENCY_BUCKETS, quantile } from './latency-histogram';

describe('latency histogram', () => {
  it('puts a duration in the first bucket whose bound holds it', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(5)).toBe(0);
    expect(bucketOf(6)).toBe(1);
    expect(bucketOf(99)).toBe(6);
    expect(bucketOf(1e9)).toBe(LATENCY_BUCKETS - 1);
  });

  it('reads p50 and p99 within the bucket that holds the rank', () => {
    const h = new Array(LATENCY_BUCKETS).fill(0);
    for (let i = 0; i < 98; i++) h[bucketOf(40)] += 1; // 35 < 40 <= 50
    h[bucketOf(900)] += 2; // 750 < 900 <= 1000
    const p50 = quantile(h, 0.5)!;
    expect(p50).toBeGreaterThan(35);
    expect(p50).toBeLessThanOrEqual(50);
    const p99 = quantile(h, 0.99)!;
    expect(p99).toBeGreaterThan(750);
    expect(p99).toBeLessThanOrEqual(1_000);
    expect(quantile(new Array(LATENCY_BUCKETS).fill(0), 0.5)).toBeNull();
  });
});
