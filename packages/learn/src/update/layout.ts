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

/**
 * Reads a layout as a round or a manifest announces it (`{ tensors: [{ name, shape }], size, hash }`): the layout
 * built from those names and shapes, or null when the text is unreadable (not a list, a duplicate or nameless
 * tensor, a bad shape) or its own size or hash does not match. Whether it is the device's own is the caller's check.
 */
export function readLayout(raw: unknown): Layout | null {
  try {
    const o = raw as { tensors?: unknown; size?: unknown; hash?: unknown } | null | undefined;
    const tensors = o?.tensors;
    if (!Array.isArray(tensors)) return null;
    const shapes: Record<string, number[]> = Object.create(null) as Record<string, number[]>;
    const names: string[] = [];
    for (const t of tensors as Array<{ name?: unknown; shape?: unknown } | null>) {
      if (typeof t?.name !== 'string' || !Array.isArray(t.shape) || t.name in shapes) return null;
      shapes[t.name] = t.shape as number[];
      names.push(t.name);
    }
    const l = makeLayout(shapes, names);
    return l.size === o!.size && l.hash === o!.hash ? l : null;
  } catch { return null; }
}

/** `readLayout`, for callers that cannot go on without it: throws "<what> is unreadable …" when it is null. */
export function requireLayout(raw: unknown, what = 'the round\'s layout'): Layout {
  const l = readLayout(raw);
  if (!l) throw new Error(`${what} is unreadable or inconsistent with its own hash/size`);
  return l;
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

/**
 * The tensors of `layout` that are not `frozen`, in layout order: what a secure-aggregation round's masked vector
 * carries. An honest device's delta is zero on the frozen ones, so leaving them out of the vector loses nothing
 * and shrinks both the upload and the noise a fixed ε needs per released value.
 */
export function trainedTensors(layout: Layout, frozen: readonly string[]): string[] {
  return layout.tensors.map((t) => t.name).filter((n) => !frozen.includes(n));
}

/** Start (inclusive) and end (exclusive) of the tensor `name` in `layout`'s flat vector, or undefined when the layout lacks it. */
export function tensorRange(layout: Layout, name: string): [number, number] | undefined {
  const i = layout.tensors.findIndex((t) => t.name === name);
  if (i < 0) return undefined;
  const start = layout.offsets[i]!;
  return [start, start + numel(layout.tensors[i]!.shape)];
}

/** Start and end of each named tensor in `layout`'s flat vector; throws on a name the layout lacks or repeats. */
function spans(layout: Layout, names: readonly string[]): Array<[number, number]> {
  if (new Set(names).size !== names.length) throw new Error('tensor list names a tensor twice');
  return names.map((n) => {
    const r = tensorRange(layout, n);
    if (!r) throw new Error(`layout has no tensor "${n}"`);
    return r;
  });
}

/** Number of values of the named tensors of `layout`. */
export function selectedSize(layout: Layout, names: readonly string[]): number {
  return spans(layout, names).reduce((s, [a, b]) => s + b - a, 0);
}

/** The values of the named tensors of a flat vector (layout order), concatenated in the order of `names`. */
export function selectTensors(flat: Float32Array, layout: Layout, names: readonly string[]): Float32Array {
  if (flat.length !== layout.size) throw new RangeError(`vector has ${flat.length} values, the layout ${layout.size}`);
  const parts = spans(layout, names);
  const out = new Float32Array(parts.reduce((s, [a, b]) => s + b - a, 0));
  let o = 0;
  for (const [a, b] of parts) { out.set(flat.subarray(a, b), o); o += b - a; }
  return out;
}

/** The inverse of `selectTensors`: a full vector of `layout`, zero outside the named tensors. */
export function expandTensors(selected: Float32Array, layout: Layout, names: readonly string[]): Float32Array {
  const parts = spans(layout, names);
  const n = parts.reduce((s, [a, b]) => s + b - a, 0);
  if (selected.length !== n) throw new RangeError(`expected ${n} values for ${names.join(', ')}, got ${selected.length}`);
  const out = new Float32Array(layout.size);
  let o = 0;
  for (const [a, b] of parts) { out.set(selected.subarray(o, o + b - a), a); o += b - a; }
  return out;
}
