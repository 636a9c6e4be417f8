import { describe, expect, it } from 'vitest';
import { expandTensors, makeLayout, readLayout, requireLayout, tensorRange, selectedSize, selectTensors, trainedTensors } from './layout.js';

const layout = makeLayout({ a: [2, 2], b: [3], c: [1, 2] }, ['a', 'b', 'c']);
const flat = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe('the trained tensors of a layout', () => {
  it('lists the unfrozen tensors in layout order and sizes them', () => {
    expect(trainedTensors(layout, ['b'])).toEqual(['a', 'c']);
    expect(trainedTensors(layout, ['x'])).toEqual(['a', 'b', 'c']);
    expect(selectedSize(layout, ['a', 'c'])).toBe(6);
    expect(tensorRange(layout, 'b')).toEqual([4, 7]);
    expect(tensorRange(layout, 'c')).toEqual([7, 9]);
    expect(tensorRange(layout, 'z')).toBeUndefined();
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

describe('reading an announced layout', () => {
  const text = JSON.parse(JSON.stringify(layout)) as { tensors: { name: string; shape: number[] }[]; size: number; hash: string };

  it('rebuilds the layout its names, shapes, size and hash describe', () => {
    expect(readLayout(text)).toEqual(layout);
    const reordered = makeLayout({ a: [2, 2], b: [3], c: [1, 2] }, ['c', 'a', 'b']);
    expect(readLayout(JSON.parse(JSON.stringify(reordered)))?.offsets).toEqual([0, 2, 6]);
  });

  it('requireLayout gives the same layout, or throws naming what was unreadable', () => {
    expect(requireLayout(text)).toEqual(layout);
    expect(() => requireLayout({ ...text, size: 10 }, 'the manifest\'s layout')).toThrow("the manifest's layout is unreadable or inconsistent with its own hash/size");
  });

  it('gives null, never throws, for text that is unreadable or disagrees with its own size or hash', () => {
    const bad: unknown[] = [
      undefined, null, 7, 'a', {}, { tensors: 'a' },
      { ...text, size: 10 },
      { ...text, hash: '00000000' },
      { ...text, tensors: [...text.tensors, text.tensors[0]] },
      { ...text, tensors: [{ name: 'a', shape: [2, -2] }] },
      { ...text, tensors: [{ name: 'a', shape: [2.5] }] },
      { ...text, tensors: [{ name: 'a' }] },
      { ...text, tensors: [null] },
      { ...text, tensors: [{ name: 3, shape: [1] }] },
    ];
    for (const raw of bad) expect(readLayout(raw)).toBeNull();
  });
});
