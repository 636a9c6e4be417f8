/** The simulation's outputs: the one-line JSON summary and a readable table (both from a SimResult). */
import type { Metrics } from '@perch/model/eval/metrics.js';
import type { SimOptions, SimResult } from './simulate.js';

const pick = (m: Metrics): Record<string, number> => ({ 'HR@20': Number(m['HR@20']!.toFixed(5)), 'NDCG@20': Number(m['NDCG@20']!.toFixed(5)) });

/** The object printed as the last stdout line (the fields first, then the parameters behind them). */
export function summary(r: SimResult, o: SimOptions): Record<string, unknown> {
  const [dp, ...more] = r.dp;
  const dpOf = (d: SimResult['dp'][number]): Record<string, unknown> => ({
    ...pick(d.test), epsilon: d.epsilon === null ? null : Number(d.epsilon.toFixed(3)), delta: o.delta, noise: d.noise,
    z: Number(d.z.toPrecision(4)), rounds: d.logs.length,
  });
  return {
    clients: r.clients, rounds: o.rounds, start: pick(r.start),
    central: { ...pick(r.central), trained: 'shared-dense' }, central_full: { ...pick(r.centralFull), trained: 'all' },
    federated: { ...pick(r.federated.test), rounds: r.federated.logs.length },
    federated_dp: dp ? dpOf(dp) : null,
    ...Object.fromEntries(more.map((d) => [`federated_dp_${d.noise}`, dpOf(d)])),
    bytes_per_client_round: r.bytesPerClientRound,
    q: Number(r.q.toPrecision(4)), clip: Number(r.clip.toPrecision(4)), eval_users: r.evalUsers, eval_on: 'federated users (test = last event)',
    seed: o.seed, seconds: Math.round(r.seconds),
  };
}

/** A fixed-width table of the compared models (stderr). */
export function table(r: SimResult): string {
  const rows: Array<[string, Metrics, string]> = [
    ['pretrained start', r.start, ''], ['central (dense only)', r.central, ''], ['central (all weights)', r.centralFull, ''],
    ['federated, no DP', r.federated.test, `${r.federated.logs.length} rounds`],
    ...r.dp.map((d): [string, Metrics, string] => [`federated, DP ${d.noise}`, d.test, `${d.logs.length} rounds, ε=${d.epsilon?.toFixed(2)}, z=${d.z.toPrecision(3)}`]),
  ];
  const head = `${'run'.padEnd(24)} ${'HR@20'.padStart(8)} ${'NDCG@20'.padStart(8)}  notes`;
  return [head, ...rows.map(([n, m, x]) => `${n.padEnd(24)} ${m['HR@20']!.toFixed(4).padStart(8)} ${m['NDCG@20']!.toFixed(4).padStart(8)}  ${x}`)].join('\n');
}
