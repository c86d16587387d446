import { formatLsn, parseLsn } from './lsn';

describe('LSN', () => {
  it('parses and formats WAL positions, comparing them as numbers', () => {
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
    expect(formatLsn(parseLsn('0/0'))).toBe('0/00000000');
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(formatLsn(parseLsn('1/0') - 1n)).toBe('0/FFFFFFFF');
  });

  it('rejects what is not an LSN', () => {
    expect(() => parseLsn('12')).toThrow('not an LSN');
    expect(() => parseLsn('x/1')).toThrow('not an LSN');
  });
});
