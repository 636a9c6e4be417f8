/**
 * What the attacker (the aggregator, or anyone holding an upload) knows besides the upload: the public model it
 * served, i.e. every weight, the item → attribute table and the item counts published with it
 * (`vocab.itemCounts`). From it the attacker precomputes the candidate vectors it tests an upload against:
 * every item's representation (spec.ts: itemRep), the same plus what every input of a device adds, every item's
 * mean attribute embedding, the attribute embeddings, and the public popularity of items and attributes.
 */
import type { ItemAttrs } from '@perch/model/plain';
import { PlainModel } from '@perch/model/plain';
import { makeLayout, type Layout } from '@perch/learn/update';
import { EVENT_KINDS, GAP_BUCKETS_S, SHARED_DENSE_WEIGHTS, weightShapes, type ModelDims, type Weights } from '@perch/model/spec';

/** A published model as a device and the aggregator both see it. */
export interface PublicModel {
  dims: ModelDims;
  weights: Weights;
  /** Item → attribute rows (CSR over item rows 0..numItems). */
  attrs: ItemAttrs;
  /** Occurrences of each item row in the model's training data (`vocab.itemCounts`, length numItems + 1). */
  counts: Float64Array;
  /** Whether events carry real kinds; false for sequence files such as Beauty (every event a purchase, no timestamps). */
  typedEvents: boolean;
}

export interface Knowledge {
  model: PublicModel;
  layout: Layout;
  /** itemRep(i), (numItems + 1) × dim. */
  reps: Float32Array;
  /** itemRep(i) + the event and gap embeddings every input of an untyped device carries: the GRU's input x before dropout. */
  inputs: Float32Array;
  /** itemRep(i) − the popularity-weighted mean itemRep (a stand-in for the softmax's expected representation). */
  centred: Float32Array;
  /** Mean attribute embedding of item i (zeros without attributes), (numItems + 1) × dim. */
  attrMeans: Float32Array;
  /** attr_emb, (numAttrs + 1) × dim. */
  attrEmb: Float32Array;
  /** log(count + 1) of every item row (row 0 unused). */
  itemLogPrior: Float64Array;
  /** log of the expected occurrences of each attribute row under the item counts (row 0 unused). */
  attrLogPrior: Float64Array;
}

/**
 * The event-kind and gap embedding rows an untyped device adds to every input: 'purchase' and the open-ended gap
 * bucket (spec.ts conventions). With typed events the attacker does not know the kinds: zeros.
 */
function inputOffset(m: PublicModel): Float32Array {
  const d = m.dims.dim, out = new Float32Array(d);
  if (m.typedEvents) return out;
  const e = EVENT_KINDS.indexOf('purchase') * d, g = (GAP_BUCKETS_S.length - 1) * d;
  for (let k = 0; k < d; k++) out[k] = m.weights.event_emb![e + k]! + m.weights.gap_emb![g + k]!;
  return out;
}

/** Precomputes the attacker's candidate vectors and priors from the public model. */
export function knowledgeOf(m: PublicModel): Knowledge {
  const { numItems: V, numAttrs: A, dim: d } = m.dims;
  const model = new PlainModel(m.dims, m.weights, m.attrs);
  const reps = model.itemReps().slice();
  const attrMeans = new Float32Array((V + 1) * d);
  for (let i = 0; i <= V; i++) model.attrMeanInto(i, attrMeans, i * d);
  const off = inputOffset(m), inputs = new Float32Array(reps.length), centred = new Float32Array(reps.length);
  const mean = new Float64Array(d);
  let total = 0;
  for (let i = 1; i <= V; i++) total += m.counts[i]!;
  for (let i = 1; i <= V; i++) { const p = total > 0 ? m.counts[i]! / total : 1 / V; for (let k = 0; k < d; k++) mean[k] = mean[k]! + p * reps[i * d + k]!; }
  for (let i = 0; i < reps.length; i++) { inputs[i] = reps[i]! + off[i % d]!; centred[i] = reps[i]! - mean[i % d]!; }
  const itemLogPrior = new Float64Array(V + 1), attrOcc = new Float64Array(A + 1).fill(1e-3), attrLogPrior = new Float64Array(A + 1);
  const { attrOffsets: ao, attrIds: ai } = m.attrs;
  for (let i = 1; i <= V; i++) {
    itemLogPrior[i] = Math.log(m.counts[i]! + 1);
    for (let p = ao[i]!; p < ao[i + 1]!; p++) attrOcc[ai[p]!] = attrOcc[ai[p]!]! + m.counts[i]!;
  }
  for (let a = 1; a <= A; a++) attrLogPrior[a] = Math.log(attrOcc[a]!);
  return {
    model: m, layout: makeLayout(weightShapes(m.dims), SHARED_DENSE_WEIGHTS),
    reps, inputs, centred, attrMeans, attrEmb: m.weights.attr_emb!.slice(), itemLogPrior, attrLogPrior,
  };
}

/** The distinct attribute rows of a set of item rows, ascending. */
export function attributesOf(attrs: ItemAttrs, items: Iterable<number>): Int32Array {
  const out = new Set<number>();
  for (const i of items) for (let p = attrs.attrOffsets[i]!; p < attrs.attrOffsets[i + 1]!; p++) out.add(attrs.attrIds[p]!);
  return Int32Array.from([...out].sort((a, b) => a - b));
}
