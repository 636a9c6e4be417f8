/**
 * What leaves a simulated device: every payload of a round, decoded and scanned for the device's own data.
 *
 * What this proves: (1) structurally, a payload decodes to exactly the fixed header fields, one scale per
 * shared dense tensor and `layout.size` int8 values, with the total length leaving no spare byte, so there is
 * no field where an item id, event or timestamp could travel; (2) byte-wise, the encoder never copies the
 * device's raw item ids, item rows, user key or timestamps into the payload verbatim (as little-endian int32 or
 * ASCII). The raw ids, key and timestamps are long distinctive values (see synthetic.ts), so a match by chance
 * in the noisy int8 body is astronomically unlikely (≈ payload bytes × 256⁻⁴ per int32 value, far less for
 * the ≥ 10-character strings) and the scan cannot pass or fail by luck. The model's small item rows (1..30) are
 * not scanned: their int32 encodings equal legitimate header values (round 1 is 01 00 00 00), so such a scan
 * would prove nothing; the structural check (1) is what excludes them.
 * It does NOT prove the int8 values carry no information about the items: bounding that is the job of the
 * clipping and noise (the DP guarantee), not of the format.
 */
import { describe, expect, it } from 'vitest';
import { HEADER_BYTES, decodeUpdate } from '@perch/learn/update';
import { updateDelta } from '@perch/learn/client';
import type { Sequence } from '@perch/model/data';
import { SHARED_DENSE_WEIGHTS } from '@perch/model/spec';
import { runFederated } from '../../src/simulate/federated.js';
import { setup, timeOf } from './synthetic.js';

/** Every little-endian int32 at every byte offset of `b` (so membership = "occurs somewhere"). */
function int32sAt(b: Uint8Array): Set<number> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength), out = new Set<number>();
  for (let i = 0; i + 4 <= b.length; i++) out.add(dv.getInt32(i, true));
  return out;
}
/** The payload as a byte-per-char string, for substring search of ASCII needles. */
const latin1 = (b: Uint8Array): string => Array.from(b, (c) => String.fromCharCode(c)).join('');

describe('encoded updates', () => {
  it('carry only the fixed fields and none of the device’s item ids, events, key or timestamps', async () => {
    const s = setup();
    const seen: Array<{ bytes: Uint8Array; seq: Sequence }> = [];
    const { logs } = await runFederated(s.ctx, s.global, s.trainer, {
      rounds: 2, q: 0.6, clip: 1, z: 5, noise: 'local', delta: 1e-6, epsilonBudget: 8, rule: 'fedavg',
      optimizer: { kind: 'sgd', learningRate: 1 }, maxClientWeight: 32, evalEvery: 10, seed: 9,
    }, undefined, (bytes, seq) => seen.push({ bytes: bytes.slice(), seq }));
    expect(seen.length).toBeGreaterThan(20);
    const T = SHARED_DENSE_WEIGHTS.length;
    const keys = new Set<string>();
    for (const { bytes, seq } of seen) {
      const d = decodeUpdate(bytes, { layout: s.layout });
      if (!d.ok) throw new Error(d.error.message);
      const u = d.update;
      expect(Object.keys(u).sort()).toEqual(['baseVersion', 'clientWeight', 'key', 'layoutHash', 'q', 'roundId', 'scales']);
      expect(bytes.length).toBe(HEADER_BYTES + 4 * T + s.layout.size);
      expect(u.q.length).toBe(s.layout.size);
      expect(u.scales.length).toBe(T);
      expect([1, 2]).toContain(u.roundId);
      expect(u.baseVersion).toBe(u.roundId);
      expect(u.layoutHash).toBe(s.layout.hash);
      expect(u.clientWeight).toBe(1); // DP runs send weight 1: the example count is not DP-protected
      keys.add(u.key);
      // Local noise N(0, (zC)²) per value is really in the upload: z = 5, C = 1, so the norm is about 5·√size ≫ C.
      const norm = Math.hypot(...updateDelta(u, s.layout));
      expect(norm).toBeGreaterThan(0.8 * 5 * Math.sqrt(s.layout.size));
      expect(norm).toBeLessThan(1.2 * Math.sqrt(25 * s.layout.size + 1));
      const raw = Array.from(new Set(seq.items)).map((row) => s.ds.vocab[row]!);
      const ints = int32sAt(bytes), text = latin1(bytes);
      const strings = [seq.key, ...raw], numbers = raw.map(Number);
      // Every timestamp of the synthetic data set (all users), so no device's clock is in any payload.
      for (let user = 0; user < 120; user++) for (let t = 0; t < 12; t++) numbers.push(timeOf(user, t));
      strings.push(...numbers.map(String));
      // Positive controls: the scanner does find what is legitimately there (round id, magic).
      expect(ints.has(u.roundId) && text.includes('PRCU')).toBe(true);
      expect(numbers.filter((n) => ints.has(n | 0))).toEqual([]);
      expect(strings.filter((t) => text.includes(t))).toEqual([]);
    }
    expect(keys.size).toBe(seen.length); // idempotency keys are random, never reused or derived from the user
    expect(logs.every((l) => l.bytesPerClient === seen[0]!.bytes.length)).toBe(true);
  });
});
