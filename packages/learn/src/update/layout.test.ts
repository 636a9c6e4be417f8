import { describe, expect, it } from 'vitest';
import { expandTensors, makeLayout, selectedSize, selectTensors, trainedTensors } from './layout.js';

const layout = makeLayout({ a: [2, 2], b: [3], c: [1, 2] }, ['a', 'b', 'c']);
const flat = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe('the trained tensors of a layout', () => {
  it('lists the unfrozen tensors in layout order and sizes them', () => {
    expect(trainedTensors(layout, ['b'])).toEqual(['a', 'c']);
    expect(trainedTensors(layout, ['x'])).toEqual(['a', 'b', 'c']);
    expect(selectedSize(layout, ['a', 'c'])).toBe(6);
  });

  it('selects their values and expands them back with zeros elsewhere', () => {
    const sel = selectTensors(flat, layout, ['a', 'c']);
    expect([...sel]).toEqual([1, 2, 3, 4, 8, 9]);
    expect([...expandTensors(sel, layout, ['a', 'c'])]).toEqual([1, 2, 3, 4, 0, 0, 0, 8, 9]);
    expect([...selectTensors(flat, layout, ['c', 'b'])]).toEqual([8, 9, 5, 6, 7]);
  });

  it('refuses unknown or repeated names and wrong lengths', () => {
    expect(() => selectTensors(flat, layout, ['z'])).toThrow(/no tensor "z"/);
    expect(() => selectTensors(flat, layout, ['a', 'a'])).toThrow(/twice/);
    expect(() => selectTensors(flat.subarray(1), layout, ['a'])).toThrow(/8 values/);
    expect(() => expandTensors(new Float32Array(5), layout, ['a', 'c'])).toThrow(/expected 6/);
  });
});
