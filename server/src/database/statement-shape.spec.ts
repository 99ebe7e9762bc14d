import { padToShape } from './statement-shape.js';

describe(padToShape.name, () => {
  it('lengthens a list to the next power of two (at least 8) with its last element, keeping the order', () => {
    expect(padToShape([])).toEqual([]);
    expect(padToShape(['a'])).toEqual(['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a']);
    expect(padToShape([1, 2, 3, 4, 5, 6, 7, 8])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const nine = padToShape([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(nine).toHaveLength(16);
    expect(nine.slice(0, 9)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(nine.slice(9))).toEqual(new Set([9]));
  });

  it('gives a storm of batch sizes only a handful of shapes', () => {
    const shapes = new Set(Array.from({ length: 500 }, (_, n) => padToShape(Array.from({ length: n + 1 }, (_, i) => i)).length));
    expect([...shapes].sort((a, b) => a - b)).toEqual([8, 16, 32, 64, 128, 256, 512]);
  });
});
