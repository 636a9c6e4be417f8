/**
 * The attack's outputs: a JSON summary (means with 95 % bootstrap intervals over test devices, resampled within
 * seeds; the chosen configurations with their validation means; chance levels; figures per seed) and a readable
 * table of the same, one row per noise level, target and attacker.
 */
import type { AttackOptions, AttackResult, DeviceFigures, LevelResult } from './experiment.js';
import { bootstrapMean, type Interval } from './metrics.js';
import { describeAttr, describeItem } from './scorers.js';

type Field = keyof DeviceFigures;
const r4 = (x: number): number => Number(x.toFixed(4));
const ci = (v: Interval): { mean: number; ci95: [number, number] } => ({ mean: r4(v.mean), ci95: [r4(v.lo), r4(v.hi)] });

/** Per-figure statistics of one target of one level. */
function stats(figs: DeviceFigures[], strata: number[], seed: number) {
  const of = (f: Field, m: 'recovery' | 'hit', other?: Field): Interval =>
    bootstrapMean(figs.map((d) => d[f][m] - (other ? d[other][m] : 0)), { strata, seed });
  const attacker = (own: Field, other: Field) => ({
    recovery: ci(of(own, 'recovery')), hit: ci(of(own, 'hit')),
    minus_other_upload: { recovery: ci(of(own, 'recovery', other)), hit: ci(of(own, 'hit', other)) },
    minus_popularity_only: { recovery: ci(of(own, 'recovery', 'priorOnly')), hit: ci(of(own, 'hit', 'priorOnly')) },
  });
  const meanOf = (f: Field, m: 'recovery' | 'hit'): number => r4(figs.reduce((a, d) => a + d[f][m], 0) / figs.length);
  return {
    without_popularity: attacker('withoutPrior', 'withoutPriorOther'),
    with_popularity: attacker('withPrior', 'withPriorOther'),
    popularity_only: { recovery: ci(of('priorOnly', 'recovery')), hit: ci(of('priorOnly', 'hit')) },
    chance: { recovery: meanOf('chance', 'recovery'), hit: meanOf('chance', 'hit') },
  };
}

/** Mean recovery and hit of the two attackers on each seed's test devices. */
function perSeed(figs: DeviceFigures[], strata: number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of new Set(strata)) {
    const f = figs.filter((_, i) => strata[i] === s), m = (k: Field, x: 'recovery' | 'hit'): number => r4(f.reduce((a, d) => a + d[k][x], 0) / f.length);
    out[String(s)] = { without_popularity: { recovery: m('withoutPrior', 'recovery'), hit: m('withoutPrior', 'hit') }, with_popularity: { recovery: m('withPrior', 'recovery'), hit: m('withPrior', 'hit') } };
  }
  return out;
}

function level(l: LevelResult, strata: number[], seed: number): Record<string, unknown> {
  const c = l.chosen, v = (x: { recovery: number; hit: number }) => ({ recovery: r4(x.recovery), hit: r4(x.hit) });
  return {
    noise: l.noise,
    items: {
      ...stats(l.items, strata, seed), per_seed: perSeed(l.items, strata),
      chosen: { without_popularity: describeItem(c.items.withoutPrior.config), with_popularity: describeItem(c.items.withPrior.config) },
      validation: { without_popularity: v(c.items.withoutPrior.validation), with_popularity: v(c.items.withPrior.validation) },
    },
    attributes: {
      ...stats(l.attrs, strata, seed), per_seed: perSeed(l.attrs, strata),
      chosen: { without_popularity: describeAttr(c.attrs.withoutPrior.config), with_popularity: describeAttr(c.attrs.withPrior.config) },
      validation: { without_popularity: v(c.attrs.withoutPrior.validation), with_popularity: v(c.attrs.withPrior.validation) },
    },
  };
}

/** The object printed as the last stdout line. */
export function summary(r: AttackResult, o: AttackOptions): Record<string, unknown> {
  const seed = o.seeds[0] ?? 1;
  return {
    attack: 'decode one upload: top-10 items and attributes the device touched',
    clip: o.clip, top: 10,
    levels: r.levels.map((l) => level(l, r.strata, seed)),
    seeds: r.seeds.map((s) => ({ seed: s.seed, pretrain_users: s.pretrainUsers, shadow_devices: s.shadows, epochs: s.epochs ?? null, attack_devices: s.devices, validation: s.validation, test: s.test, items: s.numItems, attributes: s.numAttrs })),
    test_devices: r.strata.length, configurations: r.configs, seconds: Math.round(r.seconds),
  };
}

const pct = (v: { mean: number; ci95: [number, number] }): string => `${v.mean.toFixed(3)} [${v.ci95[0].toFixed(3)}, ${v.ci95[1].toFixed(3)}]`;
const signed = (v: { mean: number; ci95: [number, number] }): string => `${v.mean >= 0 ? '+' : ''}${pct(v)}`;

/** A fixed-width table of the summary (stderr): per noise level and target, the two attackers, popularity alone and chance. */
export function table(s: Record<string, unknown>): string {
  const cols = (a: string, b: string, c: string, d: string, e: string, f: string, g: string): string =>
    `${a.padStart(5)}  ${b.padEnd(10)} ${c.padEnd(16)} ${d.padEnd(22)} ${e.padEnd(22)} ${f.padEnd(24)} ${g}`;
  const rows: string[] = [cols('z', 'target', 'ranking', 'top-10 recovery', 'hit@10', 'recovery − other upload', 'recovery − popularity only')];
  for (const l of s.levels as Array<Record<string, unknown>>) {
    for (const target of ['items', 'attributes'] as const) {
      const t = l[target] as ReturnType<typeof stats>, z = String(l.noise);
      for (const [name, a] of [['attack', t.without_popularity], ['attack + pop.', t.with_popularity]] as const) {
        rows.push(cols(z, target, name, pct(a.recovery), pct(a.hit), signed(a.minus_other_upload.recovery), signed(a.minus_popularity_only.recovery)));
      }
      rows.push(cols(z, target, 'popularity only', pct(t.popularity_only.recovery), pct(t.popularity_only.hit), '', ''));
      rows.push(cols(z, target, 'chance', t.chance.recovery.toFixed(4), t.chance.hit.toFixed(4), '', ''));
    }
  }
  rows.push('attack: the best configuration on validation devices that does not read the item counts; attack + pop.: the best of all (scorers.ts):');
  for (const l of s.levels as Array<Record<string, Record<string, Record<string, string>>>>) {
    rows.push(`  z ${String(l.noise)}: items: ${l.items!.chosen!.without_popularity} | ${l.items!.chosen!.with_popularity}; attributes: ${l.attributes!.chosen!.without_popularity} | ${l.attributes!.chosen!.with_popularity}`);
  }
  rows.push('intervals: 95 % bootstrap over test devices (resampled within seeds); "− other upload": the same attacker scored against the next test device\'s touched rows');
  return rows.join('\n');
}
