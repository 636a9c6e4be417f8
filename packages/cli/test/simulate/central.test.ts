import { describe, expect, it } from 'vitest';
import { popularity } from '@perch/model/eval';
import { trainCentral } from '../../src/simulate/central.js';
import { LOSS, setup } from './synthetic.js';

describe('centralised baselines', () => {
  it('dense mode trains only the shared dense weights, full mode the embeddings too; both keep their best epoch', () => {
    const s = setup();
    const counts = popularity(s.pop.pretrain.train, s.dims.numItems);
    const o = { epochs: 3, lr: 0.01, batchPositions: 64, seed: 2, maxSeconds: 0 }; // 0: no time budget, every epoch runs
    const dense = trainCentral(s.dims, s.global, s.attrs, s.pop.clients, s.pop.val, LOSS, counts, { ...o, mode: 'dense' });
    const full = trainCentral(s.dims, s.global, s.attrs, s.pop.clients, s.pop.val, LOSS, counts, { ...o, mode: 'full' });
    expect(dense.weights.item_emb).toEqual(s.global.item_emb);
    expect(dense.weights.gru_wx).not.toEqual(s.global.gru_wx);
    expect(full.weights.item_emb).not.toEqual(s.global.item_emb);
    for (const r of [dense, full]) {
      expect(r.val.length).toBe(4); // epoch 0 (the start) + 3 epochs
      const best = Math.max(...r.val.map((m) => m['NDCG@20']!));
      expect(r.val[r.bestEpoch]!['NDCG@20']).toBe(best);
      expect(r.bestEpoch).toBeGreaterThan(0); // the synthetic pattern is learnable
    }
  });
});
