/**
 * A fixed, named order of tensors ("layout") and the flat Float32Array the privacy maths and the wire
 * format work on. Both sides derive the layout from the same names and shapes, and the wire format only
 * carries its hash, so a payload has no room for anything but the listed dense tensors.
 */
import type { Weights } from '@perch/model/spec';

export interface TensorSpec { name: string; shape: number[] }
export interface Layout {
  tensors: TensorSpec[];
  /** Start offset of each tensor in the flat vector (same order as `tensors`). */
  offsets: number[];
  /** Total number of elements. */
  size: number;
  /** FNV-1a (32-bit) of the canonical text `name:d0x d1;...`, as 8 hex chars. */
  hash: string;
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Builds the layout of `names` (in that order) from a name → shape table, e.g. `weightShapes(dims)`. */
export function makeLayout(shapes: Record<string, readonly number[]>, names: readonly string[]): Layout {
  const tensors: TensorSpec[] = [];
  const offsets: number[] = [];
  let size = 0;
  for (const name of names) {
    const shape = shapes[name];
    if (!shape) throw new Error(`makeLayout: no shape for tensor "${name}"`);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`makeLayout: bad shape for "${name}"`);
    tensors.push({ name, shape: [...shape] });
    offsets.push(size);
    size += numel(shape);
  }
  return { tensors, offsets, size, hash: layoutHash(tensors) };
}

/** Hash of a tensor list; equal lists give equal hashes on every platform. */
export function layoutHash(tensors: readonly TensorSpec[]): string {
  const text = tensors.map((t) => `${t.name}:${t.shape.join('x')}`).join(';');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Concatenates the layout's tensors of `weights` into one new Float32Array (throws on a size mismatch). */
export function flattenShared(weights: Weights, layout: Layout): Float32Array {
  const out = new Float32Array(layout.size);
  layout.tensors.forEach((t, i) => {
    const w = weights[t.name];
    if (!w) throw new Error(`flattenShared: missing tensor "${t.name}"`);
    if (w.length !== numel(t.shape)) throw new Error(`flattenShared: "${t.name}" has ${w.length} values, expected ${numel(t.shape)}`);
    out.set(w, layout.offsets[i]!);
  });
  return out;
}

/** Splits a flat vector back into named tensors (views copied out, so the result owns its memory). */
export function unflatten(flat: Float32Array, layout: Layout): Weights {
  if (flat.length !== layout.size) throw new Error(`unflatten: ${flat.length} values, layout has ${layout.size}`);
  const out: Weights = {};
  layout.tensors.forEach((t, i) => {
    const start = layout.offsets[i]!;
    out[t.name] = flat.slice(start, start + numel(t.shape));
  });
  return out;
}
