import { describe, expect, it } from 'vitest';
import { decodeUpdate, describeUpdate, encodeUpdate, HEADER_BYTES, type UpdatePayload } from './wire.js';
import { makeUpdate, updateDelta } from '../client/client-update.js';
import { makeLayout } from './layout.js';
import { l2Norm } from '../client/clip.js';
import { SHARED_DENSE_WEIGHTS, weightShapes } from '@perch/model/spec';
import { Rng } from '@perch/model/rng';

const layout = makeLayout(weightShapes({ numItems: 20, numAttrs: 5, numCategories: 4, dim: 8, hidden: 8 }), SHARED_DENSE_WEIGHTS);
const T = layout.tensors.length;

function sample(): UpdatePayload {
  const q = new Int8Array(layout.size).map((_, i) => ((i * 37) % 255) - 127);
  return {
    roundId: 7, baseVersion: 3, layoutHash: layout.hash, clientWeight: 12, key: '0123456789abcdef0123456789abcdef',
    scales: new Float32Array(T).fill(0.001).map((s, i) => s * (i + 1)), q,
  };
}

describe('update wire format', () => {
  it('round-trips every field, with the exact documented size', () => {
    const u = sample();
    const bytes = encodeUpdate(u);
    expect(bytes.length).toBe(HEADER_BYTES + 4 * T + layout.size);
    const d = decodeUpdate(bytes, { layout });
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.update).toEqual(u);
    expect(describeUpdate(d.update)).toMatchObject({ roundId: 7, baseVersion: 3, clientWeight: 12, values: layout.size });
  });

  it('decodes from a view with a non-zero byte offset and does not alias it', () => {
    const bytes = encodeUpdate(sample());
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const d = decodeUpdate(big.subarray(3));
    expect(d.ok).toBe(true);
    big.fill(0);
    if (d.ok) expect(d.update.q[1]).toBe(sample().q[1]);
  });

  const corrupt = (f: (b: Uint8Array, dv: DataView) => Uint8Array | void): Uint8Array => {
    const b = encodeUpdate(sample());
    return f(b, new DataView(b.buffer)) ?? b;
  };
  const cases: [string, Uint8Array, string][] = [
    ['truncated header', encodeUpdate(sample()).subarray(0, 20), 'truncated'],
    ['bad magic', corrupt((b) => { b[0] = 0x58; }), 'bad_magic'],
    ['future version', corrupt((b) => { b[4] = 2; }), 'unsupported_version'],
    ['float32 dtype', corrupt((b) => { b[5] = 2; }), 'unsupported_dtype'],
    ['truncated body', encodeUpdate(sample()).subarray(0, HEADER_BYTES + 4 * T + 10), 'length_mismatch'],
    ['trailing bytes', (() => { const b = encodeUpdate(sample()); const c = new Uint8Array(b.length + 1); c.set(b); return c; })(), 'length_mismatch'],
    ['wrong layout hash', corrupt((_, dv) => dv.setUint32(16, 0xdeadbeef, true)), 'layout_mismatch'],
    ['wrong tensor count', (() => { const u = sample(); u.scales = u.scales.slice(1); return encodeUpdate(u); })(), 'layout_mismatch'],
    ['wrong element count', (() => { const u = sample(); u.q = u.q.slice(1); return encodeUpdate(u); })(), 'layout_mismatch'],
    ['NaN scale', corrupt((_, dv) => dv.setFloat32(HEADER_BYTES, NaN, true)), 'bad_scale'],
    ['infinite scale', corrupt((_, dv) => dv.setFloat32(HEADER_BYTES + 4, Infinity, true)), 'bad_scale'],
    ['negative scale', corrupt((_, dv) => dv.setFloat32(HEADER_BYTES, -1, true)), 'bad_scale'],
    ['zero key', corrupt((b) => { b.fill(0, 28, 44); }), 'bad_key'],
  ];
  it.each(cases)('refuses %s', (_name, bytes, code) => {
    const d = decodeUpdate(bytes, { layout });
    expect(d.ok).toBe(false);
    if (!d.ok) { expect(d.error.code).toBe(code); expect(d.error.message.length).toBeGreaterThan(0); }
  });

  it('refuses to encode out-of-range fields', () => {
    expect(() => encodeUpdate({ ...sample(), roundId: -1 })).toThrow(RangeError);
    expect(() => encodeUpdate({ ...sample(), key: 'user@example.com' })).toThrow(RangeError);
    expect(() => encodeUpdate({ ...sample(), clientWeight: 1.5 })).toThrow(RangeError);
  });
});

describe('makeUpdate (client pipeline)', () => {
  it('clips, quantises and encodes; without noise the dequantised delta stays within C plus rounding', () => {
    const rng = new Rng(1);
    const delta = Float32Array.from({ length: layout.size }, () => rng.next() - 0.5);
    const { payload, bytes } = makeUpdate(delta, layout, {
      roundId: 2, baseVersion: 1, clipBound: 0.5, noiseMultiplier: 0, examples: 500, maxClientWeight: 32, rng,
    });
    expect(payload.clientWeight).toBe(32);
    const d = decodeUpdate(bytes, { layout });
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const back = updateDelta(d.update, layout);
    const maxScale = Math.max(...d.update.scales);
    expect(l2Norm(back)).toBeLessThanOrEqual(0.5 + maxScale * Math.sqrt(layout.size));
    // Direction is preserved: cosine with the original delta is high.
    const cos = back.reduce((s, x, i) => s + x * delta[i]!, 0) / (l2Norm(back) * l2Norm(delta));
    expect(cos).toBeGreaterThan(0.99);
  });

  it('with noise the upload norm is about C·sqrt(1 + z²·d), and keys differ between updates', () => {
    const rng = new Rng(2);
    const delta = new Float32Array(layout.size).fill(1);
    const o = { roundId: 2, baseVersion: 1, clipBound: 1, noiseMultiplier: 1, examples: 3, maxClientWeight: 32, rng };
    const a = makeUpdate(delta, layout, o), b = makeUpdate(delta, layout, o);
    const n = l2Norm(updateDelta(a.payload, layout));
    expect(n / Math.sqrt(1 + layout.size)).toBeGreaterThan(0.9);
    expect(n / Math.sqrt(1 + layout.size)).toBeLessThan(1.1);
    expect(a.payload.key).not.toBe(b.payload.key);
  });
});
