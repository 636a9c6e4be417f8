/** The simulation's outputs: the one-line JSON summary and a readable table (both from a SimResult). */
import type { Metrics } from '@perch/model/eval';
import type { ByTarget, SimOptions, SimResult, VsStart } from './simulate.js';

const pick = (m: Metrics): Record<string, number> => ({ 'HR@20': Number(m['HR@20']!.toFixed(5)), 'NDCG@20': Number(m['NDCG@20']!.toFixed(5)) });
const r5 = (x: number): number => Number(x.toFixed(5));
const eps = (x: number | null): number | null => (x === null ? null : Number(x.toFixed(3)));
/** HR@20 on test targets the pretraining data saw / never saw (null for an empty group). */
const byTarget = (b: ByTarget): Record<string, unknown> => ({ 'HR@20_by_target': { seen: Number.isNaN(b.seen) ? null : r5(b.seen), unseen: Number.isNaN(b.unseen) ? null : r5(b.unseen) } });
/** `vs_start`: paired difference to the start with its 95 % bootstrap interval, per metric. */
const vsStart = (v: VsStart): Record<string, unknown> => ({
  vs_start: { 'HR@20': { delta: r5(v.hr.delta), ci95: [r5(v.hr.lo), r5(v.hr.hi)] }, 'NDCG@20': { delta: r5(v.ndcg.delta), ci95: [r5(v.ndcg.lo), r5(v.ndcg.hi)] } },
});

const sig = (x: number): number => Number(x.toPrecision(4));

/** ddg runs: the shared parameters behind ε, the released rounds, and the SecAgg+ check when it ran. */
const ddgOf = (d: SimResult['dp'][number]): Record<string, unknown> => {
  const p = d.ddg!, s = d.secagg;
  return {
    bits: p.bits, sigma: sig(p.sigma), gamma: sig(p.gamma), beta: sig(p.beta), n_honest: p.nHonest, min_cohort: p.minCohort, max_cohort: p.maxCohort,
    dropout: p.dropout, colluding: p.colluding, uploads_target: p.uploadsTarget, uploads_allowed: p.uploadsAllowed, max_uploads: d.maxUploads ?? 0,
    wrap_probability: sig(p.wrapProbability), padded_dim: p.paddedDim, bytes_per_client: p.bytesPerClient,
    rounds_released: d.logs.filter((l) => l.released).length,
    ...(s ? { secagg: { round: s.round, devices: s.devices, k: s.k, t: s.t, bit_identical: s.bitIdentical, seconds: Number(s.seconds.toFixed(2)), server_seconds: Number(s.serverSeconds.toFixed(2)), bytes_up_per_device: Math.round(s.bytesUpPerDevice), bytes_down_per_device: Math.round(s.bytesDownPerDevice) } } : {}),
  };
};

/** The object printed as the last stdout line (the issue's fields first, then the parameters behind them). */
export function summary(r: SimResult, o: SimOptions): Record<string, unknown> {
  const [dp, ...more] = r.dp;
  const dpOf = (d: SimResult['dp'][number]): Record<string, unknown> => ({
    ...pick(d.test), ...vsStart(d.vsStart), ...byTarget(d.byTarget), epsilon: eps(d.epsilon), epsilon_server: eps(d.epsilonServer), delta: o.delta, noise: d.noise,
    z: Number(d.z.toPrecision(4)), rounds: d.logs.length, q: Number(d.q.toPrecision(4)), ...(d.ddg ? ddgOf(d) : {}),
  });
  return {
    clients: r.clients, rounds: o.rounds, start: { ...pick(r.start), ...byTarget(r.startByTarget) },
    central: { ...pick(r.central), ...vsStart(r.centralVsStart), ...byTarget(r.centralByTarget), trained: 'shared-dense' },
    central_full: { ...pick(r.centralFull), ...vsStart(r.centralFullVsStart), ...byTarget(r.centralFullByTarget), trained: 'all' },
    federated: { ...pick(r.federated.test), ...vsStart(r.federated.vsStart), ...byTarget(r.federated.byTarget), rounds: r.federated.logs.length },
    federated_dp: dp ? dpOf(dp) : null,
    ...Object.fromEntries(more.map((d) => [`federated_dp_${d.noise}`, dpOf(d)])),
    bytes_per_client_round: r.bytesPerClientRound,
    unseen_target_share: r5(r.unseenTargetShare),
    q: Number(r.q.toPrecision(4)), clip: Number(r.clip.toPrecision(4)), eval_users: r.evalUsers, split: r.split, participation: o.participation,
    eval_on: r.split === 'val' ? 'federated users (val = second-to-last event)' : 'federated users (test = last event)',
    seed: o.seed, seconds: Math.round(r.seconds),
  };
}

/** ddg runs in the table: σ, γ, bits, the honest cohort, bytes, uploads, released rounds. */
const ddgNote = (d: SimResult['dp'][number]): string => {
  const p = d.ddg!;
  return `σ=${p.sigma.toPrecision(3)}·C per device, γ=${p.gamma.toPrecision(3)}, ${p.bits} bits (${p.bytesPerClient} B/client), n_honest=${p.nHonest} of min cohort ${p.minCohort}, ` +
    `≤ ${p.uploadsAllowed} uploads (most ${d.maxUploads ?? 0}), ${d.logs.filter((l) => l.released).length} rounds released` +
    (d.secagg ? `; SecAgg+ ${d.secagg.devices} devices ${d.secagg.bitIdentical ? 'bit-identical' : 'DIFFERENT'}` : '');
};

/** A fixed-width table of the compared models (stderr). */
export function table(r: SimResult): string {
  const rows: Array<[string, Metrics, VsStart | null, ByTarget, string]> = [
    ['pretrained start', r.start, null, r.startByTarget, ''], ['central (dense only)', r.central, r.centralVsStart, r.centralByTarget, ''],
    ['central (all weights)', r.centralFull, r.centralFullVsStart, r.centralFullByTarget, ''],
    ['federated, no DP', r.federated.test, r.federated.vsStart, r.federated.byTarget, `${r.federated.logs.length} rounds`],
    ...r.dp.map((d): [string, Metrics, VsStart, ByTarget, string] => [`federated, DP ${d.noise}`, d.test, d.vsStart, d.byTarget, `${d.logs.length} rounds, q=${d.q.toPrecision(3)}, ε server ${d.epsilonServer?.toFixed(2) ?? 'none'} / published ${d.epsilon?.toFixed(2)}, ${d.ddg ? ddgNote(d) : `z=${d.z.toPrecision(3)}`}`]),
  ];
  const ci = (v: VsStart | null): string => (v ? `${v.hr.delta >= 0 ? '+' : ''}${v.hr.delta.toFixed(4)} [${v.hr.lo.toFixed(4)}, ${v.hr.hi.toFixed(4)}]` : '');
  const split = (b: ByTarget): string => `${b.seen.toFixed(4)} / ${b.unseen.toFixed(4)}`;
  const head = `${'run'.padEnd(24)} ${'HR@20'.padStart(8)} ${'NDCG@20'.padStart(8)}  ${'ΔHR@20 vs start [95 % CI]'.padEnd(28)}  ${'HR@20 seen / unseen'.padEnd(19)}  notes`;
  const note = `unseen = ${r.split} targets with no event in the pretraining data: ${(100 * r.unseenTargetShare).toFixed(1)} % of the cases (their item rows are trained only by "central (all weights)")`;
  return [head, ...rows.map(([n, m, v, b, x]) => `${n.padEnd(24)} ${m['HR@20']!.toFixed(4).padStart(8)} ${m['NDCG@20']!.toFixed(4).padStart(8)}  ${ci(v).padEnd(28)}  ${split(b).padEnd(19)}  ${x}`), note].join('\n');
}
