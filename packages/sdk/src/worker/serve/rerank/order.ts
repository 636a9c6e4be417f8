/**
 * Turning scores into an order: pinned input positions never move, the other slots are filled best-first,
 * optionally with maximal marginal relevance (Carbonell & Goldstein 1998) over category so one category
 * does not take a whole screen.
 */

/** How many already placed items MMR compares with: diversity within about one screenful. */
export const MMR_WINDOW = 5;

export interface OrderInput {
  scores: readonly number[];
  /** Category per input index (undefined = unknown: never counts as similar). */
  categories?: readonly (string | undefined)[];
  pinned?: readonly number[];
  /** 0..1: weight of the similarity penalty (0 = plain score order). */
  diversity?: number;
}

/** Valid pinned indices (integers inside the list), as a set. */
export function pinSet(pinned: readonly number[] | undefined, n: number): Set<number> {
  const s = new Set<number>();
  for (const p of pinned ?? []) if (Number.isInteger(p) && p >= 0 && p < n) s.add(p);
  return s;
}

/**
 * Input indices in output order. Ties keep the shop's order. Pinned index p ends at output position p.
 * With diversity λ > 0, each free slot takes argmax (1 − λ)·score − λ·sim, where sim = 1 when the item's
 * category equals one of the last `MMR_WINDOW` placed items' (pinned ones included), else 0.
 */
export function orderItems({ scores, categories, pinned, diversity }: OrderInput): number[] {
  const n = scores.length;
  const pins = pinSet(pinned, n);
  const free: number[] = [];
  for (let i = 0; i < n; i++) if (!pins.has(i)) free.push(i);
  free.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  const lambda = Math.min(1, Math.max(0, Number.isFinite(diversity) ? (diversity as number) : 0));
  const out = new Array<number>(n);
  if (lambda === 0 || !categories) {
    let k = 0;
    for (let pos = 0; pos < n; pos++) out[pos] = pins.has(pos) ? pos : (free[k++] as number);
    return out;
  }
  const used = new Uint8Array(n);
  for (let pos = 0; pos < n; pos++) {
    if (pins.has(pos)) { out[pos] = pos; continue; }
    let best = -1, bestVal = -Infinity;
    for (const i of free) {
      if (used[i]) continue;
      const c = categories[i];
      let sim = 0;
      if (c !== undefined) {
        for (let q = Math.max(0, pos - MMR_WINDOW); q < pos; q++) if (categories[out[q] as number] === c) { sim = 1; break; }
      }
      const v = (1 - lambda) * (scores[i] as number) - lambda * sim;
      if (v > bestVal) { bestVal = v; best = i; }
    }
    used[best] = 1;
    out[pos] = best;
  }
  return out;
}
