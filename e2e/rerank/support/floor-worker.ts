// The plain-TypeScript floor of the rerank bench, in a module worker: the same model files (fetched and
// verified by the same loader), the Float32Array implementation of the model, and the same pure rerank
// code; it times score(200) + blend/order/explain, the work the SDK worker does per rerank (steps happen
// when events are stored, not per rerank).
import { loadExport } from '@perch/model/export';
import { PlainModel } from '@perch/model/plain';
import { EVENT_KINDS, GAP_BUCKETS_S } from '@perch/model/spec';
import { indexHistory, rerankList } from '@perch/sdk/internal';
import type { RerankCandidate } from '@perch/sdk/internal';

self.onmessage = async (e: MessageEvent<{ base: string; history: string[]; items: RerankCandidate[]; runs: number }>) => {
  const { base, history, items, runs } = e.data;
  const loaded = await loadExport(async (p) => new Uint8Array(await (await fetch(base + p)).arrayBuffer()));
  const { vocab, dims } = loaded;
  const offsets = new Int32Array(dims.numItems + 2);
  vocab.itemAttrs.forEach((l, i) => (offsets[i + 1] = (offsets[i] as number) + l.length));
  const model = new PlainModel(dims, loaded.weights, { attrOffsets: offsets, attrIds: Int32Array.from(vocab.itemAttrs.flat()) });
  const row = new Map(vocab.items.map((id, r) => [id, r]));
  const view = EVENT_KINDS.indexOf('view');
  let h = model.initialState();
  for (const id of history) h = model.step(h, { item: row.get(id) ?? 0, kind: view, gap: GAP_BUCKETS_S.length - 1 });
  const rows = Int32Array.from(items, (c) => row.get(c.id) ?? 0);
  const idx = indexHistory(history.map((id, k) => ({ type: 'view_item' as const, id, ts: k })));
  const times: number[] = [];
  for (let i = 0; i < runs + 20; i++) {
    const t0 = performance.now();
    const s = model.score(h, rows);
    rerankList({ items, modelScores: Array.from(s), options: {}, history: idx, callId: 'floor' });
    if (i >= 20) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  (self as unknown as Worker).postMessage({ p95: times[Math.floor(0.95 * times.length)], median: times[times.length >> 1], runs: times.length });
};
