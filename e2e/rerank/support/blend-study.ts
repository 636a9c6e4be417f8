// The measurement behind DEFAULT_BLEND (docs/experiments/2026-11-23-rerank-default-blend.md): on the Beauty slice the small model was trained
// on, each user's held-out last item (leave-one-out: the trainer never trained on it) is hidden in a list of
// 100 items ordered like a shop's "bestsellers" (popularity), the list is reranked with the real pure rerank
// code at several blend weights using the plain-TypeScript model, and HR@10 / NDCG@10 of the held-out item
// are reported. Run: `npx tsx e2e/rerank/support/blend-study.ts`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExport } from '@perch/model/export';
import { PlainModel } from '@perch/model/plain';
import { EVENT_KINDS, GAP_BUCKETS_S } from '@perch/model/spec';
import { blendScores, orderItems } from '@perch/sdk/internal';
import { beautySlice, ensureSmallModel } from './model.js';

const dir = ensureSmallModel();
const loaded = await loadExport(async (p) => new Uint8Array(readFileSync(join(dir, p))));
const { vocab, dims } = loaded;
const offsets = new Int32Array(dims.numItems + 2);
vocab.itemAttrs.forEach((l, i) => (offsets[i + 1] = (offsets[i] as number) + l.length));
const model = new PlainModel(dims, loaded.weights, { attrOffsets: offsets, attrIds: Int32Array.from(vocab.itemAttrs.flat()) });
const row = new Map(vocab.items.map((id, r) => [id, r]));
const seqs = beautySlice().split('\n').map((l) => l.trim().split(/\s+/).slice(1).map((i) => row.get(i) ?? 0)).filter((s) => s.length >= 3 && s.every((r) => r > 0));
const pop = new Float64Array(dims.numItems + 1);
for (const s of seqs) for (const r of s.slice(0, -2)) pop[r]! += 1; // the training part only
let seed = 7;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const purchase = EVENT_KINDS.indexOf('purchase'), gap = GAP_BUCKETS_S.length - 1;
const blends = [0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
const hr = new Float64Array(blends.length), ndcg = new Float64Array(blends.length);
let n = 0;
for (const s of seqs.slice(0, 2000)) {
  const target = s[s.length - 1]!;
  let h = model.initialState();
  for (const r of s.slice(-51, -1)) h = model.step(h, { item: r, kind: purchase, gap });
  const seen = new Set(s);
  const list = new Set<number>([target]);
  while (list.size < 100) { const r = 1 + Math.floor(rnd() * dims.numItems); if (!seen.has(r)) list.add(r); }
  const shop = [...list].sort((a, b) => pop[b]! - pop[a]! || a - b); // "bestsellers" order
  const scores = Array.from(model.score(h, shop));
  blends.forEach((b, k) => {
    const order = orderItems({ scores: blendScores(scores, b) });
    const pos = order.findIndex((i) => shop[i] === target);
    if (pos < 10) { hr[k]! += 1; ndcg[k]! += 1 / Math.log2(pos + 2); }
  });
  n++;
}
console.log(`users: ${n}; list: held-out item + 99 unseen random items in popularity order`);
blends.forEach((b, k) => console.log(JSON.stringify({ blend: b, 'HR@10': +(hr[k]! / n).toFixed(4), 'NDCG@10': +(ndcg[k]! / n).toFixed(4) })));
