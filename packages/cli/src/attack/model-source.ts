/**
 * The model under attack for one seed: pretrained like the simulator's start (a seeded share of the users,
 * `train` bounded by epochs, never by time, so a seed always gives the same model), or an exported model directory
 * read with `loadExport`. Either way the attacker gets a `PublicModel`, and the attack devices are the simulator's
 * federated clients of that seed (users outside the pretraining share), their sequences in the model's item rows
 * with items it does not know left out, as a device does; those with at least two known items remain. The
 * pretraining share's users, data the server holds, are the attacker's shadow devices (decoder.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset, Sequence } from '@perch/model/data';
import { popularity } from '@perch/model/eval';
import { loadExport, type LoadedExport } from '@perch/model/export';
import { DEFAULTS, dimsFor, train, type TrainHooks } from '@perch/model/plain';
import { makePopulation } from '../simulate/population.js';
import type { PublicModel } from './knowledge.js';

export interface PretrainOptions { seed: number; pretrainFraction: number; pretrainEpochs: number; dim: number; hidden: number }

export interface SeedModel {
  model: PublicModel;
  /** Attack devices in the model's rows (≥ 2 known items), in the population's order. */
  devices: Sequence[];
  /** The pretraining share's training sequences with ≥ 2 known items, in the model's rows: the server's own users. */
  shadows: Sequence[];
  /** Users the model was pretrained on (0 for a loaded export). */
  pretrainUsers: number;
  /** Epochs trained and the epoch kept (early stopping), for a pretrained model. */
  epochs?: { trained: number; best: number };
}

/** Reads an exported model directory (manifest.json and the files it lists, each checked against its SHA-256). */
export async function readExportDir(dir: string): Promise<LoadedExport> {
  return loadExport(async (path) => new Uint8Array(await readFile(join(dir, path))));
}

/** The model of `seed`: pretrained on the seed's pretraining share of `ds`, or `loaded` (the same for every seed). */
export async function seedModel(ds: Dataset, o: PretrainOptions, loaded?: LoadedExport, hooks?: TrainHooks): Promise<SeedModel> {
  const pop = makePopulation(ds, { pretrainFraction: o.pretrainFraction, evalUsers: 0, seed: o.seed });
  if (!loaded) {
    // One id row per item and per attribute name (the full table), whatever the trainer's caps: the most
    // item-specific model is the one an upload could reveal most about.
    const opts = { ...DEFAULTS, dim: o.dim, hidden: o.hidden, seed: o.seed, maxEpochs: o.pretrainEpochs, maxSeconds: Number.POSITIVE_INFINITY, idRows: 0, idMinCount: 0, attrBuckets: 0 };
    const r = await train(ds, pop.pretrain, opts, hooks);
    const dims = dimsFor(ds, opts);
    return {
      model: { dims, weights: r.model.w, attrs: { attrOffsets: ds.attrOffsets, attrIds: ds.attrIds }, counts: popularity(pop.pretrain.train, dims.numItems), typedEvents: ds.typedEvents },
      devices: pop.clients, shadows: pop.pretrain.train.filter((s) => s.items.length >= 2),
      pretrainUsers: pop.pretrain.train.length, epochs: { trained: r.history.length, best: r.bestEpoch },
    };
  }
  const { dims, weights, vocab } = loaded;
  const offsets = new Int32Array(dims.numItems + 2), ids: number[] = [];
  for (let i = 0; i <= dims.numItems; i++) { ids.push(...(vocab.itemAttrs[i] ?? [])); offsets[i + 1] = ids.length; }
  const counts = Float64Array.from({ length: dims.numItems + 1 }, (_, i) => Number(vocab.itemCounts?.[i] ?? 0));
  const row = new Map(vocab.items.map((id, r) => [id, r]));
  /** The sequences in the export's rows, unknown items left out; those with ≥ 2 known items. */
  const known = (seqs: Sequence[]): Sequence[] => seqs.flatMap((s) => {
    const keep = Array.from(s.items.keys()).filter((t) => (row.get(ds.vocab[s.items[t]!]!) ?? 0) > 0);
    return keep.length < 2 ? [] : [{ key: s.key, items: Int32Array.from(keep, (t) => row.get(ds.vocab[s.items[t]!]!)!), kinds: Uint8Array.from(keep, (t) => s.kinds[t]!), gaps: Uint8Array.from(keep, (t) => s.gaps[t]!) }];
  });
  return {
    model: { dims, weights, attrs: { attrOffsets: offsets, attrIds: Int32Array.from(ids) }, counts, typedEvents: ds.typedEvents },
    devices: known(pop.clients), shadows: known(pop.pretrain.train), pretrainUsers: 0,
  };
}
