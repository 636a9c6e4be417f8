import { isAttrRow } from '../spec.js';
import type { ItemAttributes } from './types.js';

/**
 * Item attributes as a dense padded table: `idx[r*width + m]` is the m-th attribute row of item r (0 = padding)
 * and `w[r*width + m]` its weight 1/count (0 for padding). A padded gather + weighted sum computes the
 * attribute mean on every backend; `unsortedSegmentSum` would be lighter but the wasm backend lacks it.
 */
export interface AttrTable {
  rows: number;
  width: number;
  idx: Int32Array;
  w: Float32Array;
}

/** Builds the padded table for `lists` (one attribute list per row); width ≥ 1 so shapes never collapse. */
export function buildAttrTable(lists: ItemAttributes, numAttrs: number): AttrTable {
  let width = 1;
  for (const l of lists) width = Math.max(width, l.length);
  const rows = lists.length;
  const idx = new Int32Array(rows * width);
  const w = new Float32Array(rows * width);
  lists.forEach((list, r) => {
    const valid = list.filter((a) => isAttrRow(a, numAttrs));
    valid.forEach((a, m) => {
      idx[r * width + m] = a;
      w[r * width + m] = 1 / valid.length;
    });
  });
  return { rows, width, idx, w };
}

/** Rows `[start, end)` of a table as a smaller table (chunked catalog passes keep temporaries small). */
export function sliceAttrTable(t: AttrTable, start: number, end: number): AttrTable {
  return {
    rows: end - start,
    width: t.width,
    idx: t.idx.subarray(start * t.width, end * t.width),
    w: t.w.subarray(start * t.width, end * t.width),
  };
}
