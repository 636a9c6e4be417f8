/** Aggregates simulated impressions into rates, intervals and the lift, and formats the report. */
// @ts-expect-error plain ESM helper without types
import { TRAIN_USERS } from '../model.mjs';
import { ATC_SIMILAR, ATTRACT, EXAMINE } from './click-model.js';
import type { ShopperRun } from './run.js';
import { pairedBootstrap, wilson, type Paired } from './stats.js';

type Arm = 'default' | 'perch';
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

export interface ArmSummary { 'ctr@5': number; 'atc@5': number; 'ctr@5_ci': [number, number]; 'atc@5_ci': [number, number]; 'expected_ctr@5': number; 'expected_atc@5': number }
export interface Summary {
  shoppers: number;
  impressions: number;
  default: ArmSummary;
  perch: ArmSummary;
  lift: {
    'ctr@5': number; 'ctr@5_rel': number | null; 'ctr@5_ci': [number, number]; 'atc@5': number; 'atc@5_rel': number | null; 'atc@5_ci': [number, number];
    /** Lift of the click model's expected CTR@5 (no sampling noise, same shoppers), with its bootstrap interval. */
    'expected_ctr@5': number; 'expected_ctr@5_ci': [number, number];
  };
  /** Share of Perch's listings that the model reranked (the rest fell back to the shop's order). */
  personalized: number;
  bySurface: Record<string, { impressions: number; default: { ctr: number; atc: number }; perch: { ctr: number; atc: number } }>;
  seed: number;
  method: string;
}

export const METHOD = `held-out Amazon Beauty shoppers (users after the model's ${(TRAIN_USERS as number).toLocaleString('en')} training users) replay up to the last K items before their real last item as product views + add-to-carts; then home carousel, category page and search each show the shop's and Perch's order side by side; a cascade click model scans the top ${EXAMINE.length} (examination ${EXAMINE.join('/')}, click on examined item: ${Object.entries(ATTRACT).map(([k, v]) => `${k} ${v}`).join(', ')}), first click wins; add to cart if the click is the real next item, or ${ATC_SIMILAR} if same brand+leaf; same random draws in both arms; rates per listing impression, Wilson 95% CIs, lift CI by paired bootstrap over shoppers (2,000 resamples)`;

function arm(runs: readonly ShopperRun[], a: Arm): ArmSummary {
  let n = 0;
  let clicks = 0;
  let atcs = 0;
  let eClick = 0;
  let eAtc = 0;
  for (const r of runs) for (const i of r.impressions) {
    n++;
    if (i.decision[a].position !== null) clicks++;
    if (i.decision[a].addToCart) atcs++;
    eClick += i.expected[a].click;
    eAtc += i.expected[a].atc;
  }
  return {
    'ctr@5': r4(clicks / (n || 1)), 'atc@5': r4(atcs / (n || 1)),
    'ctr@5_ci': wilson(clicks, n).map(r4) as [number, number], 'atc@5_ci': wilson(atcs, n).map(r4) as [number, number],
    'expected_ctr@5': r4(eClick / (n || 1)), 'expected_atc@5': r4(eAtc / (n || 1)),
  };
}

function paired(runs: readonly ShopperRun[], pick: (d: { position: number | null; addToCart: boolean }) => boolean): Paired[] {
  return runs.map((r) => ({
    n: r.impressions.length,
    a: r.impressions.filter((i) => pick(i.decision.default)).length,
    b: r.impressions.filter((i) => pick(i.decision.perch)).length,
  }));
}

export function summarise(runs: readonly ShopperRun[], seed: number): Summary {
  const d = arm(runs, 'default');
  const p = arm(runs, 'perch');
  const all = runs.flatMap((r) => r.impressions);
  const rel = (x: number, y: number) => (x > 0 ? r4(y / x - 1) : null);
  const bySurface: Summary['bySurface'] = {};
  for (const s of [...new Set(all.map((i) => i.surface))]) {
    const xs = all.filter((i) => i.surface === s);
    const rate = (a: Arm, f: (x: (typeof xs)[number]) => boolean) => r4(xs.filter(f).length / xs.length);
    bySurface[s] = {
      impressions: xs.length,
      default: { ctr: rate('default', (i) => i.decision.default.position !== null), atc: rate('default', (i) => i.decision.default.addToCart) },
      perch: { ctr: rate('perch', (i) => i.decision.perch.position !== null), atc: rate('perch', (i) => i.decision.perch.addToCart) },
    };
  }
  return {
    shoppers: runs.length,
    impressions: all.length,
    default: d,
    perch: p,
    lift: {
      'ctr@5': r4(p['ctr@5'] - d['ctr@5']), 'ctr@5_rel': rel(d['ctr@5'], p['ctr@5']),
      'ctr@5_ci': pairedBootstrap(paired(runs, (x) => x.position !== null), 2000, seed).map(r4) as [number, number],
      'atc@5': r4(p['atc@5'] - d['atc@5']), 'atc@5_rel': rel(d['atc@5'], p['atc@5']),
      'atc@5_ci': pairedBootstrap(paired(runs, (x) => x.addToCart), 2000, seed + 1).map(r4) as [number, number],
      'expected_ctr@5': r4(p['expected_ctr@5'] - d['expected_ctr@5']),
      'expected_ctr@5_ci': pairedBootstrap(runs.map((r) => ({
        n: r.impressions.length,
        a: r.impressions.reduce((t, i) => t + i.expected.default.click, 0),
        b: r.impressions.reduce((t, i) => t + i.expected.perch.click, 0),
      })), 2000, seed + 2).map(r4) as [number, number],
    },
    personalized: r4(all.filter((i) => i.personalized).length / (all.length || 1)),
    bySurface,
    seed,
    method: METHOD,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ci = (c: [number, number]) => `[${pct(c[0])}, ${pct(c[1])}]`;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`;
const ciPts = (c: [number, number]) => `[${signed(c[0])}, ${signed(c[1])}]`;

/** The readable table printed before the JSON line. */
export function table(s: Summary): string {
  const rows: string[][] = [
    ['', 'default order', 'Perch order', 'lift (95% CI)'],
    ['CTR@5', `${pct(s.default['ctr@5'])} ${ci(s.default['ctr@5_ci'])}`, `${pct(s.perch['ctr@5'])} ${ci(s.perch['ctr@5_ci'])}`, `${signed(s.lift['ctr@5'])} ${ciPts(s.lift['ctr@5_ci'])}${s.lift['ctr@5_rel'] === null ? '' : ` (${s.lift['ctr@5_rel'] >= 0 ? '+' : ''}${pct(s.lift['ctr@5_rel'])})`}`],
    ['ATC@5', `${pct(s.default['atc@5'])} ${ci(s.default['atc@5_ci'])}`, `${pct(s.perch['atc@5'])} ${ci(s.perch['atc@5_ci'])}`, `${signed(s.lift['atc@5'])} ${ciPts(s.lift['atc@5_ci'])}${s.lift['atc@5_rel'] === null ? '' : ` (${s.lift['atc@5_rel'] >= 0 ? '+' : ''}${pct(s.lift['atc@5_rel'])})`}`],
    ['expected CTR@5', pct(s.default['expected_ctr@5']), pct(s.perch['expected_ctr@5']), `${signed(s.lift['expected_ctr@5'])} ${ciPts(s.lift['expected_ctr@5_ci'])}`],
    ...Object.entries(s.bySurface).map(([k, v]) => [`  ${k} (${v.impressions}) CTR / ATC`, `${pct(v.default.ctr)} / ${pct(v.default.atc)}`, `${pct(v.perch.ctr)} / ${pct(v.perch.atc)}`, '']),
  ];
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((x, c) => x.padEnd(w[c]!)).join('  ').trimEnd();
  return [
    `Shopper simulation: ${s.shoppers} shoppers, ${s.impressions} listing impressions per arm; Perch reranked ${pct(s.personalized)} of its listings.`,
    line(rows[0]!), ...rows.slice(1).map(line),
    `Method: ${s.method}.`,
  ].join('\n');
}
