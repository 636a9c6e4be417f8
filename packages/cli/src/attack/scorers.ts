/**
 * The attacker's scorers: from one analysed upload, a score for every item row and every attribute row (higher =
 * more likely touched by the device). A configuration names a base score, how many singular directions it keeps
 * (`RankRule`) and how much of the public popularity it adds (`prior`, a weight on the standardised log count);
 * the experiment evaluates every configuration of `itemConfigs()` / `attrConfigs()` on validation devices and
 * keeps the best per noise level.
 *
 * Item bases: `inputs` (cos² to the Δgru_wx input space), `targets` (cos² to the Δout_w target space), `max`
 * (the larger of the two: a touched item is an input, a target or both), `sum` (their sum), `sum+attr` (sum plus
 * half the cos² of the item's attribute mean to the Δattr_tr space), `energy` (noise-standardised energy along
 * the item in all three spaces plus the Δout_b correlation, summed: no rank to choose), `bias` (the Δout_b
 * correlation alone), `decoder` (the learned linear decoder, decoder.ts), `prior` (popularity only: ignores the
 * upload).
 * Attribute bases: `max` or `vote` over an item base (the best score among the attribute's items; or 1/rank
 * votes of the ten best items), `direct` (cos² of the attribute embedding to the Δattr_tr space), `decoder`,
 * `prior`.
 */
import type { Knowledge } from './knowledge.js';
import { topK } from './metrics.js';
import { cos2, energy, rankOf, type Analysis, type RankRule } from './spaces.js';

export const ITEM_BASES = ['inputs', 'targets', 'max', 'sum', 'sum+attr', 'energy', 'bias', 'decoder', 'prior'] as const;
export type ItemBase = (typeof ITEM_BASES)[number];
export type AttrBase = { kind: 'max' | 'vote'; item: ItemBase } | { kind: 'direct' } | { kind: 'decoder' } | { kind: 'prior' };

/** The learned linear decoder's scores of one upload (decoder.ts). */
export interface Decoded { items: Float64Array; attrs: Float64Array }

export interface ItemConfig { base: ItemBase; rank: RankRule; prior: number }
export interface AttrConfig { base: AttrBase; rank: RankRule; prior: number }

/** Rank rules tried: directions clearly above the noise edge, just above it, far above it, and the first with the header's bound. */
export const RANK_RULES: readonly RankRule[] = [{ margin: 1.5, header: false }, { margin: 1.1, header: false }, { margin: 4, header: false }, { margin: 1.5, header: true }];
/** Weights of the standardised log popularity added to a standardised base score. */
export const PRIOR_WEIGHTS: readonly number[] = [0, 0.1, 0.3, 1];

const RANKED: ReadonlySet<ItemBase> = new Set(['inputs', 'targets', 'max', 'sum', 'sum+attr']);

/** Every item configuration, the simplest of each group first (so ties go to it); `decoder` only when there is one. */
export function itemConfigs(decoder: boolean): ItemConfig[] {
  const out: ItemConfig[] = [];
  for (const base of ITEM_BASES) {
    if (base === 'prior') { out.push({ base, rank: RANK_RULES[0]!, prior: 1 }); continue; }
    if (base === 'decoder' && !decoder) continue;
    for (const rank of RANKED.has(base) ? RANK_RULES : RANK_RULES.slice(0, 1)) for (const prior of PRIOR_WEIGHTS) out.push({ base, rank, prior });
  }
  return out;
}

/** Every attribute configuration (`decoder`: whether there is a learned decoder). */
export function attrConfigs(decoder: boolean): AttrConfig[] {
  const out: AttrConfig[] = [];
  const bases: AttrBase[] = decoder ? [{ kind: 'direct' }, { kind: 'decoder' }] : [{ kind: 'direct' }];
  for (const item of decoder ? ['max', 'sum+attr', 'energy', 'decoder'] as const : ['max', 'sum+attr', 'energy'] as const) for (const kind of ['max', 'vote'] as const) bases.push({ kind, item });
  for (const base of bases) {
    for (const rank of rankedAttr(base) ? RANK_RULES : RANK_RULES.slice(0, 1)) for (const prior of PRIOR_WEIGHTS) out.push({ base, rank, prior });
  }
  out.push({ base: { kind: 'prior' }, rank: RANK_RULES[0]!, prior: 1 });
  return out;
}

/** Whether an attribute base depends on a rank rule. */
const rankedAttr = (b: AttrBase): boolean => b.kind === 'direct' || ((b.kind === 'max' || b.kind === 'vote') && RANKED.has(b.item));

/** Whether a configuration reads the published item counts (the popularity prior). */
export const usesPrior = (c: ItemConfig | AttrConfig): boolean =>
  c.prior > 0 || (typeof c.base === 'string' ? c.base === 'prior' : c.base.kind === 'prior');

const rankName = (r: RankRule): string => `edge×${r.margin}${r.header ? ', ≤ header positions' : ''}`;
const priorName = (p: number): string => (p > 0 ? ` + ${p}·prior` : '');

export function describeItem(c: ItemConfig): string {
  if (c.base === 'prior') return 'prior (popularity only, ignores the upload)';
  return `${c.base}${RANKED.has(c.base) ? ` [${rankName(c.rank)}]` : ''}${priorName(c.prior)}`;
}

export function describeAttr(c: AttrConfig): string {
  const b = c.base;
  if (b.kind === 'prior') return 'prior (popularity only, ignores the upload)';
  const name = b.kind === 'direct' || b.kind === 'decoder' ? b.kind : `${b.kind} over items(${b.item})`;
  return `${name}${rankedAttr(b) ? ` [${rankName(c.rank)}]` : ''}${priorName(c.prior)}`;
}

/** Standardises scores over rows 1..n−1 (mean 0, sd 1; all zeros when constant). */
export function standardise(a: Float64Array): Float64Array {
  const n = a.length - 1;
  let m = 0, q = 0;
  for (let i = 1; i <= n; i++) m += a[i]!;
  m /= n;
  for (let i = 1; i <= n; i++) q += (a[i]! - m) ** 2;
  const sd = Math.sqrt(q / n);
  const out = new Float64Array(a.length);
  for (let i = 1; i <= n; i++) out[i] = sd > 0 ? (a[i]! - m) / sd : 0;
  return out;
}

const add = (a: Float64Array, b: Float64Array, w = 1): Float64Array => a.map((v, i) => v + w * b[i]!);

/** Scores of one analysed upload under any configuration; base scores are computed once and shared. */
export class UploadScorer {
  private readonly cache = new Map<string, Float64Array>();

  /** `tie`: the upload's random tie-break keys of the item rows (see metrics.ts); `decoded`: the learned decoder's scores, if any. */
  constructor(private readonly a: Analysis, private readonly k: Knowledge, private readonly tie: Float64Array, private readonly decoded?: Decoded) {}

  private decoder(): Decoded {
    if (!this.decoded) throw new Error('a decoder configuration without a decoder');
    return this.decoded;
  }

  private memo(key: string, f: () => Float64Array): Float64Array {
    let v = this.cache.get(key);
    if (!v) { v = f(); this.cache.set(key, v); }
    return v;
  }

  /** A base item score (row 0 unused). */
  itemBase(base: ItemBase, rank: RankRule): Float64Array {
    const a = this.a, key = `${base}|${rank.margin}|${rank.header}`;
    return this.memo(key, () => {
      const r = (s: 'inputs' | 'targets' | 'attributes'): number => rankOf(a[s], rank, a.positions, s !== 'attributes');
      switch (base) {
        case 'inputs': return cos2(a.inputs.coords, r('inputs'));
        case 'targets': return cos2(a.targets.coords, r('targets'));
        case 'max': { const t = this.itemBase('targets', rank); return this.itemBase('inputs', rank).map((v, i) => Math.max(v, t[i]!)); }
        case 'sum': return add(this.itemBase('inputs', rank), this.itemBase('targets', rank));
        case 'sum+attr': return add(this.itemBase('sum', rank), cos2(a.attributes.coords, r('attributes')), 0.5);
        case 'energy': return add(add(add(energy(a.inputs), energy(a.targets)), energy(a.attributes)), a.bias);
        case 'bias': return a.bias;
        case 'decoder': return this.decoder().items;
        case 'prior': return this.k.itemLogPrior;
      }
    });
  }

  /** The item scores of a configuration. */
  items(c: ItemConfig): Float64Array {
    if (c.base === 'prior') return this.k.itemLogPrior;
    const base = this.itemBase(c.base, c.rank);
    return c.prior > 0 ? add(standardise(base), this.memo('item prior', () => standardise(this.k.itemLogPrior)), c.prior) : base;
  }

  /** The attribute scores of a configuration (row 0 unused). */
  attrs(c: AttrConfig): Float64Array {
    const b = c.base;
    if (b.kind === 'prior') return this.k.attrLogPrior;
    const key = b.kind === 'direct' || b.kind === 'decoder' ? `attr ${b.kind}|${c.rank.margin}|${c.rank.header}` : `attr ${b.kind} ${b.item}|${c.rank.margin}|${c.rank.header}`;
    const base = this.memo(key, () => {
      if (b.kind === 'direct') return cos2(this.a.attrEmb, rankOf(this.a.attributes, c.rank, this.a.positions, false));
      if (b.kind === 'decoder') return this.decoder().attrs;
      const s = this.itemBase(b.item, c.rank);
      return b.kind === 'max' ? maxOverItems(s, this.k) : voteOfTop(topK(s, 10, this.tie), this.k);
    });
    return c.prior > 0 ? add(standardise(base), this.memo('attr prior', () => standardise(this.k.attrLogPrior)), c.prior) : base;
  }
}

/** Each attribute's best item score (attributes no item has: below every other). */
function maxOverItems(s: Float64Array, k: Knowledge): Float64Array {
  const { numItems: V, numAttrs: A } = k.model.dims, { attrOffsets: ao, attrIds: ai } = k.model.attrs;
  const out = new Float64Array(A + 1).fill(-Infinity);
  for (let i = 1; i <= V; i++) for (let p = ao[i]!; p < ao[i + 1]!; p++) if (s[i]! > out[ai[p]!]!) out[ai[p]!] = s[i]!;
  let low = Infinity;
  for (let a = 1; a <= A; a++) if (out[a]! < low && out[a] !== -Infinity) low = out[a]!;
  for (let a = 1; a <= A; a++) if (out[a] === -Infinity) out[a] = Number.isFinite(low) ? low - 1 : 0;
  return out;
}

/** Votes 1/rank from the items of `top` (best first) to their attributes. */
function voteOfTop(top: Int32Array, k: Knowledge): Float64Array {
  const { attrOffsets: ao, attrIds: ai } = k.model.attrs, out = new Float64Array(k.model.dims.numAttrs + 1);
  top.forEach((i, r) => { for (let p = ao[i]!; p < ao[i + 1]!; p++) out[ai[p]!] = out[ai[p]!]! + 1 / (r + 1); });
  return out;
}
