import { thrownBy } from './thrown';

class Refusal extends Error {
  constructor(readonly code: number) {
    super(`refused: ${code}`);
  }
}

describe('thrownBy', () => {
  it('hands back what the function throws, typed as the class asked for', () => {
    const e = thrownBy(() => {
      throw new Refusal(409);
    }, Refusal);
    expect(e).toBeInstanceOf(Refusal);
    expect(e.code).toBe(409);
  });

  it('throws on an error of another class, untouched', () => {
    const other = new TypeError('not a refusal');
    expect(() =>
      thrownBy(() => {
        throw other;
      }, Refusal),
    ).toThrow(other);
  });

  it('fails when the function returns', () => {
    expect(() => thrownBy(() => 'fine', Refusal)).toThrow('expected a Refusal, nothing was thrown');
  });
});
