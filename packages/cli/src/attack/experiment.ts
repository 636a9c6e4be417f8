/**
 * The decoding-attack experiment. Per seed: a model (model-source.ts) and its attack devices in a seeded order,
 * split into validation and test devices. Every validation device runs the real device pipeline (device.ts) and
 * every upload is scored by every configuration of the attacker (scorers.ts); per noise level the configuration
 * with the best mean top-10 recovery on the validation devices of all seeds is chosen, once among those that do
 * not read the published item counts ("without popularity") and once among all. Only then do the test devices
 * run, scored by the chosen configurations, by popularity alone, and by random chance (exact), each device once.
 *
 * The reference that isolates what the upload itself says: each test device's top-10 lists scored against the
 * next test device's touched items (same seed, cyclic): the same attacker, fed an upload that is not that device's.
 */
import type { Dataset, Sequence } from '@perch/model/data';
import type { LoadedExport } from '@perch/model/export';
import { Rng } from '@perch/model/rng';
import type { TrainHooks } from '@perch/model/plain';
import { LinearDecoder } from './decoder.js';
import { DeviceSide, MAX_CLIENT_WEIGHT, type DeviceUploads } from './device.js';
import { knowledgeOf, type Knowledge } from './knowledge.js';
import { chance, outcome, tieKeys, topK, type Outcome } from './metrics.js';
import { seedModel, type PretrainOptions, type SeedModel } from './model-source.js';
import { observe } from './observe.js';
import { attrConfigs, itemConfigs, UploadScorer, usesPrior, type AttrConfig, type ItemConfig } from './scorers.js';
import { analyse } from './spaces.js';

export interface AttackOptions extends Omit<PretrainOptions, 'seed'> {
  seeds: number[];
  /** Noise multipliers z of the uploads. */
  noise: number[];
  /** Clip bound C. */
  clip: number;
  valDevices: number;
  testDevices: number;
  /** Shadow devices the learned decoder is fitted on (at most; 0 = no decoder). */
  shadowDevices: number;
}

export interface AttackHooks {
  phase?(name: string): void;
  pretrain?: TrainHooks;
  device?(done: number, total: number): void;
}

/** One target (items or attributes) of one test device at one noise level. */
export interface DeviceFigures {
  /** The chosen attacker without and with popularity, popularity alone. */
  withoutPrior: Outcome; withPrior: Outcome; priorOnly: Outcome;
  /** The same two attackers against the next device's touched rows. */
  withoutPriorOther: Outcome; withPriorOther: Outcome;
  chance: Outcome;
}

export interface LevelResult {
  noise: number;
  /** Chosen configurations (descriptions are in scorers.ts) and their validation means. */
  chosen: { items: { withoutPrior: ChosenItem; withPrior: ChosenItem }; attrs: { withoutPrior: ChosenAttr; withPrior: ChosenAttr } };
  /** Per test device, in seed order. */
  items: DeviceFigures[];
  attrs: DeviceFigures[];
}

export interface ChosenItem { config: ItemConfig; validation: Outcome }
export interface ChosenAttr { config: AttrConfig; validation: Outcome }

export interface SeedInfo { seed: number; pretrainUsers: number; shadows: number; epochs?: { trained: number; best: number }; devices: number; validation: number; test: number; numItems: number; numAttrs: number }

export interface AttackResult { levels: LevelResult[]; seeds: SeedInfo[]; strata: number[]; configs: { items: number; attrs: number }; seconds: number }

const K = 10;

/** Decodes upload `l` of `dev` as the aggregator does. */
const observed = (k: Knowledge, o: AttackOptions, dev: DeviceUploads, l: number) => observe(dev.uploads[l]!, k.layout, { noise: o.noise[l]!, clip: o.clip, cap: MAX_CLIENT_WEIGHT });

/** Fits the learned decoder on up to `o.shadowDevices` of the seed's shadow devices (noiseless uploads), or none. */
function fitDecoder(k: Knowledge, o: AttackOptions, sm: SeedModel, seed: number): LinearDecoder | undefined {
  const seqs = sm.shadows.slice(0, o.shadowDevices);
  if (seqs.length < 2) return undefined;
  const side = new DeviceSide(k, seed * 2 + 3), clear = { ...o, noise: [0] };
  return new LinearDecoder(k, seqs.map((seq, j) => { const dev = side.run(seq, -1 - j, [0], o.clip); return { obs: observed(k, clear, dev, 0), items: dev.items, attrs: dev.attrs }; }));
}

/** Scores every upload of `dev` with `score(level, scorer, itemTie, attrTie)`. */
function scoreUploads<T>(k: Knowledge, o: AttackOptions, dev: DeviceUploads, rng: Rng, decoder: LinearDecoder | undefined,
  score: (level: number, s: UploadScorer, itemTie: Float64Array, attrTie: Float64Array) => T): T[] {
  const { numItems: V, numAttrs: A } = k.model.dims;
  return dev.uploads.map((_, l) => {
    const obs = observed(k, o, dev, l);
    const itemTie = tieKeys(V, rng), attrTie = tieKeys(A, rng);
    return score(l, new UploadScorer(analyse(obs, k), k, itemTie, decoder?.decode(obs, (o.noise[l]! * o.clip) ** 2)), itemTie, attrTie);
  });
}

/** Sums of recovery and hit per configuration over the validation uploads of one noise level. */
class Tally {
  readonly recovery: Float64Array; readonly hit: Float64Array;
  constructor(n: number) { this.recovery = new Float64Array(n); this.hit = new Float64Array(n); }
  add(i: number, r: Outcome): void { this.recovery[i] = this.recovery[i]! + r.recovery; this.hit[i] = this.hit[i]! + r.hit; }
  mean(i: number, n: number): Outcome { return { recovery: this.recovery[i]! / n, hit: this.hit[i]! / n }; }
  /** The configuration with the best recovery (then hit) among those `allowed`; the first on ties. */
  best(allowed: (i: number) => boolean): number {
    const s = this.recovery, h = this.hit;
    let b = -1;
    for (let i = 0; i < s.length; i++) {
      if (!allowed(i)) continue;
      if (b < 0 || s[i]! > s[b]! + 1e-9 || (Math.abs(s[i]! - s[b]!) <= 1e-9 && h[i]! > h[b]!)) b = i;
    }
    return b;
  }
}

export async function attackExperiment(ds: Dataset, o: AttackOptions, loaded?: LoadedExport, hooks: AttackHooks = {}): Promise<AttackResult> {
  const t0 = performance.now();
  const items = itemConfigs(o.shadowDevices > 0), attrs = attrConfigs(o.shadowDevices > 0), L = o.noise.length;
  /** Each seed's model, decoder, and validation and test devices (`first`: the index of the first, for the noise seeds). */
  const setups: Array<{ seed: number; sm: SeedModel; k: Knowledge; decoder?: LinearDecoder; val: { seqs: Sequence[]; first: number }; test: { seqs: Sequence[]; first: number } }> = [];
  for (const seed of o.seeds) {
    hooks.phase?.(loaded ? `seed ${seed}: exported model` : `seed ${seed}: pretraining`);
    const sm = await seedModel(ds, { ...o, seed }, loaded, hooks.pretrain);
    const order = new Rng(seed ^ 0xa77ac).shuffle(sm.devices.slice());
    if (order.length < o.valDevices + o.testDevices) throw new RangeError(`seed ${seed}: ${order.length} attack devices, ${o.valDevices + o.testDevices} asked for`);
    const k = knowledgeOf(sm.model);
    let decoder: LinearDecoder | undefined;
    if (o.shadowDevices > 0) {
      hooks.phase?.(`seed ${seed}: learned decoder on ${Math.min(o.shadowDevices, sm.shadows.length)} shadow devices`);
      decoder = fitDecoder(k, o, sm, seed);
      if (!decoder) throw new RangeError(`seed ${seed}: fewer than two shadow devices for the learned decoder`);
    }
    setups.push({ seed, sm, k, decoder, val: { seqs: order.slice(0, o.valDevices), first: 0 }, test: { seqs: order.slice(o.valDevices, o.valDevices + o.testDevices), first: o.valDevices } });
  }

  // Validation: every configuration on every upload.
  const iSum = o.noise.map(() => new Tally(items.length)), aSum = o.noise.map(() => new Tally(attrs.length));
  let nVal = 0;
  for (const s of setups) {
    hooks.phase?.(`seed ${s.seed}: ${s.val.seqs.length} validation devices × ${L} noise levels × ${items.length} + ${attrs.length} configurations`);
    const side = new DeviceSide(s.k, s.seed * 2 + 1), rng = new Rng(s.seed * 2 + 1);
    s.val.seqs.forEach((seq, j) => {
      const dev = side.run(seq, s.val.first + j, o.noise, o.clip);
      scoreUploads(s.k, o, dev, rng, s.decoder, (l, sc, itemTie, attrTie) => {
        items.forEach((c, i) => iSum[l]!.add(i, outcome(topK(sc.items(c), K, itemTie), dev.items)));
        attrs.forEach((c, i) => aSum[l]!.add(i, outcome(topK(sc.attrs(c), K, attrTie), dev.attrs)));
      });
      hooks.device?.(j + 1, s.val.seqs.length);
    });
    nVal += s.val.seqs.length;
  }
  const chosen = o.noise.map((_, l) => {
    const it = iSum[l]!, at = aSum[l]!;
    const iu = it.best((i) => !usesPrior(items[i]!)), ip = it.best(() => true);
    const au = at.best((i) => !usesPrior(attrs[i]!)), ap = at.best(() => true);
    return {
      items: { withoutPrior: { config: items[iu]!, validation: it.mean(iu, nVal) }, withPrior: { config: items[ip]!, validation: it.mean(ip, nVal) } },
      attrs: { withoutPrior: { config: attrs[au]!, validation: at.mean(au, nVal) }, withPrior: { config: attrs[ap]!, validation: at.mean(ap, nVal) } },
    };
  });

  // Test: the chosen configurations only, each device once.
  const priorItem = items.find((c) => c.base === 'prior')!, priorAttr = attrs.find((c) => c.base.kind === 'prior')!;
  const levels: LevelResult[] = chosen.map((ch, l) => ({ noise: o.noise[l]!, chosen: ch, items: [], attrs: [] }));
  const strata: number[] = [], seeds: SeedInfo[] = [];
  for (const s of setups) {
    hooks.phase?.(`seed ${s.seed}: ${s.test.seqs.length} test devices`);
    const side = new DeviceSide(s.k, s.seed * 2 + 2), rng = new Rng(s.seed * 2 + 2);
    const tops = s.test.seqs.map((seq, j) => {
      const dev = side.run(seq, s.test.first + j, o.noise, o.clip);
      const lists = scoreUploads(s.k, o, dev, rng, s.decoder, (l, sc, itemTie, attrTie) => {
        const ch = chosen[l]!;
        return {
          items: [ch.items.withoutPrior.config, ch.items.withPrior.config, priorItem].map((c) => topK(sc.items(c), K, itemTie)),
          attrs: [ch.attrs.withoutPrior.config, ch.attrs.withPrior.config, priorAttr].map((c) => topK(sc.attrs(c), K, attrTie)),
        };
      });
      hooks.device?.(j + 1, s.test.seqs.length);
      return { dev: { items: dev.items, attrs: dev.attrs }, lists };
    });
    const { numItems: V, numAttrs: A } = s.k.model.dims;
    tops.forEach(({ dev, lists }, j) => {
      const next = tops[(j + 1) % tops.length]!.dev;
      for (let l = 0; l < L; l++) {
        const figures = (t: Int32Array[], own: Int32Array, other: Int32Array, n: number): DeviceFigures => ({
          withoutPrior: outcome(t[0]!, own), withPrior: outcome(t[1]!, own), priorOnly: outcome(t[2]!, own),
          withoutPriorOther: outcome(t[0]!, other), withPriorOther: outcome(t[1]!, other), chance: chance(n, own.length, K),
        });
        levels[l]!.items.push(figures(lists[l]!.items, dev.items, next.items, V));
        levels[l]!.attrs.push(figures(lists[l]!.attrs, dev.attrs, next.attrs, A));
      }
      strata.push(s.seed);
    });
    seeds.push({ seed: s.seed, pretrainUsers: s.sm.pretrainUsers, shadows: s.decoder ? Math.min(o.shadowDevices, s.sm.shadows.length) : 0, epochs: s.sm.epochs, devices: s.sm.devices.length, validation: s.val.seqs.length, test: s.test.seqs.length, numItems: V, numAttrs: A });
  }
  return { levels, seeds, strata, configs: { items: items.length, attrs: attrs.length }, seconds: (performance.now() - t0) / 1000 };
}
