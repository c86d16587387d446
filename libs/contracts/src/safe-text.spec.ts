import { safeJsonReplacer, safeText, safeTextFromBytes, safeTextOrNull, safeTruncate } from './safe-text';

const R = '\uFFFD';

describe('safeText', () => {
  it('replaces NUL with U+FFFD and keeps everything else', () => {
    expect(safeText('oops\u0000bad')).toBe(`oops${R}bad`);
    expect(safeText('\u0000\u0000')).toBe(`${R}${R}`);
    expect(safeText('tabs\tand\nnew lines\u0001 and ünïcödé 😀')).toBe('tabs\tand\nnew lines\u0001 and ünïcödé 😀');
  });

  it('replaces lone surrogates (a cut emoji) and keeps whole pairs', () => {
    const emoji = '😀'; // \uD83D\uDE00
    expect(safeText(`a${emoji.charAt(0)}b`)).toBe(`a${R}b`);
    expect(safeText(`a${emoji.charAt(1)}b`)).toBe(`a${R}b`);
    expect(safeText(`${emoji.charAt(0)}`)).toBe(R);
    expect(safeText(`${emoji.charAt(1)}${emoji.charAt(0)}`)).toBe(`${R}${R}`);
    expect(safeText(`x${emoji}${emoji}y`)).toBe(`x${emoji}${emoji}y`);
  });

  it('returns the same string when there is nothing to replace', () => {
    const s = 'plain text';
    expect(safeText(s)).toBe(s);
    // the regex is global: a second call on unsafe text works too (lastIndex is reset)
    expect(safeText('a\u0000')).toBe(`a${R}`);
    expect(safeText('a\u0000')).toBe(`a${R}`);
  });

  it('decodes bytes as UTF-8, invalid sequences and NUL becoming U+FFFD', () => {
    expect(safeTextFromBytes(Buffer.from([0x6f, 0x6b, 0x00, 0xff, 0xc3]))).toBe(`ok${R}${R}${R}`);
    expect(safeTextFromBytes(Buffer.from('héllo', 'utf8'))).toBe('héllo');
  });

  it('keeps null and undefined as null', () => {
    expect(safeTextOrNull(undefined)).toBeNull();
    expect(safeTextOrNull(null)).toBeNull();
    expect(safeTextOrNull('a\u0000')).toBe(`a${R}`);
  });
});

describe('safeTruncate', () => {
  it('never cuts a surrogate pair in two', () => {
    const text = `${'a'.repeat(999)}😀tail`;
    expect(text.slice(0, 1000)).not.toBe(safeTruncate(text, 1000)); // slice leaves half the emoji
    expect(safeTruncate(text, 1000)).toBe('a'.repeat(999));
    expect(safeTruncate(text, 1001)).toBe(`${'a'.repeat(999)}😀`);
    expect(safeTruncate('short', 1000)).toBe('short');
    expect(safeTruncate('a\u0000b', 2)).toBe(`a${R}`);
  });
});

describe('safeJsonReplacer', () => {
  it('makes every string of a value safe: the JSON holds no \\u0000 and no lone \\udXXX escape', () => {
    const json = JSON.stringify(
      { a: 'x\u0000y', nested: [{ b: '\uD83D' }], n: 1, ok: true, none: null, emoji: '😀' },
      safeJsonReplacer,
    );
    expect(json).not.toMatch(/\\u0000|\\ud[89ab]/i);
    expect(JSON.parse(json)).toEqual({ a: `x${R}y`, nested: [{ b: R }], n: 1, ok: true, none: null, emoji: '😀' });
  });
});
