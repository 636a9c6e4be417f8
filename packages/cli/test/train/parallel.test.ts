import { describe, expect, it } from 'vitest';
import { leaveOneOut } from '@perch/model/data';
import { train } from '@perch/model/plain';
import { parallelEngine } from '../../src/train/parallel.js';
import { beautySlice } from '../beauty-slice.js';

describe('data-parallel training on worker_threads', () => {
  it('is deterministic for a seed and thread count, and learns', async () => {
    const ds = beautySlice(400);
    const split = leaveOneOut(ds.sequences);
    const opts = { dim: 16, hidden: 16, negatives: 64, maxEpochs: 2, maxValCases: 50, lr: 0.005, seed: 9 };
    const a = await train(ds, split, opts, {}, (c) => parallelEngine(c, 2));
    const b = await train(ds, split, opts, {}, (c) => parallelEngine(c, 2));
    expect(Array.from(a.model.w.gru_wx!)).toEqual(Array.from(b.model.w.gru_wx!));
    expect(Array.from(a.model.w.item_emb!)).toEqual(Array.from(b.model.w.item_emb!));
    expect(a.history[1]!.loss).toBeLessThan(a.history[0]!.loss);
    expect(a.history.every((h) => Number.isFinite(h.loss))).toBe(true);
  });
});
