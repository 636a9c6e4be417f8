// The whole `simulate()` pipeline on the synthetic shop: every phase runs, the runs without and with DP keep
// their own rounds and sampling rates, central noise is calibrated to the budget of the DP runs, local noise is
// the policy's, and the one-line summary carries the fields (ε against the aggregator beside ε and δ).
import { describe, expect, it } from 'vitest';
import { FULL } from '../../src/simulate/options.js';
import { noiseForBudget } from '../../src/simulate/privacy.js';
import { simulationPlot } from '../../src/simulate/plot.js';
import { summary, table } from '../../src/simulate/report.js';
import { evaluationCases, simulate, type SimOptions } from '../../src/simulate/simulate.js';
import { makePopulation } from '../../src/simulate/population.js';
import { syntheticDataset } from './synthetic.js';

const OPTIONS: SimOptions = {
  ...FULL, dim: 16, hidden: 16, pretrainFraction: 0.2, pretrainEpochs: 2, pretrainSeconds: 60, centralEpochs: 1, centralSeconds: 60,
  rounds: 4, clientsPerRound: 20, evalEvery: 2, dpRounds: 3, dpClientsPerRound: 60, dpServerDecay: 3, noise: ['local', 'central'],
  localNegatives: 1000, virtualBatch: 8, localDropout: 0,
};

describe('simulate()', () => {
  it('runs every phase; the DP runs use their own rounds and q, with z calibrated to fit ε over them', async () => {
    const phases: string[] = [];
    const totals = new Map<string, number>();
    const r = await simulate(syntheticDataset(200), OPTIONS, { phase: (p) => phases.push(p), round: (run, _l, total) => totals.set(run, total) });
    expect(phases.some((p) => p.startsWith('pretraining'))).toBe(true);
    expect(phases.filter((p) => p.startsWith('federated'))).toHaveLength(3);
    expect(r.federated.logs).toHaveLength(4);
    expect(r.federated.q).toBeCloseTo(20 / r.clients, 12);
    expect(r.federated.epsilon).toBeNull();
    expect(r.dp.map((d) => d.noise)).toEqual(['local', 'central']);
    const z = noiseForBudget(60 / r.clients, 3, OPTIONS.epsilon, OPTIONS.delta);
    // evaluated as many times as the run without DP (every 2 of 4 rounds → every 2 of 3, and the last)
    expect(r.federated.logs.filter((l) => l.test).map((l) => l.round)).toEqual([2, 4]);
    for (const d of r.dp) {
      expect(d.logs).toHaveLength(3);
      expect(d.logs.filter((l) => l.test).map((l) => l.round)).toEqual([2, 3]);
      expect(d.q).toBeCloseTo(60 / r.clients, 12);
      expect(d.z).toBe(d.noise === 'local' ? OPTIONS.localZ : z);
      expect(d.epsilon!).toBeGreaterThan(0);
      expect(d.epsilon!).toBeLessThanOrEqual(OPTIONS.epsilon);
    }
    // Local noise: ε against the aggregator is stated (the devices' own figure, within their budget); central: none.
    expect(r.dp[0]!.epsilonServer).toBe(r.dp[0]!.epsilon);
    expect(r.dp[0]!.epsilonServer!).toBeLessThanOrEqual(OPTIONS.epsilon);
    expect(r.dp[1]!.epsilonServer).toBeNull();
    expect([...totals.values()].sort()).toEqual([3, 3, 4]);

    const s = summary(r, OPTIONS) as Record<string, Record<string, unknown> & number>;
    expect(Object.keys(s).slice(0, 6)).toEqual(['clients', 'rounds', 'start', 'central', 'central_full', 'federated']);
    expect(s.clients).toBe(r.clients);
    expect(s.federated_dp).toMatchObject({ noise: 'local', rounds: 3, delta: 1e-10, epsilon: Number(r.dp[0]!.epsilon!.toFixed(3)), epsilon_server: Number(r.dp[0]!.epsilonServer!.toFixed(3)) });
    expect(s.federated_dp_central).toMatchObject({ noise: 'central', rounds: 3, epsilon_server: null });
    expect(s.bytes_per_client_round).toBeGreaterThan(0);
    for (const k of ['start', 'central', 'federated', 'federated_dp'] as const) expect(typeof s[k]!['HR@20']).toBe('number');
    expect(table(r)).toMatch(/federated, DP central .*3 rounds, q=.*ε server none/);
    expect(table(r)).toMatch(/federated, DP local .*3 rounds, q=.*ε server \d/);
    // test cases split by whether the pretraining data saw the target: consistent with the overall HR@20
    expect(r.unseenTargetShare).toBeGreaterThanOrEqual(0);
    expect(r.unseenTargetShare).toBeLessThanOrEqual(1);
    for (const [m, b] of [[r.start, r.startByTarget], [r.central, r.centralByTarget], [r.centralFull, r.centralFullByTarget], [r.federated.test, r.federated.byTarget], [r.dp[0]!.test, r.dp[0]!.byTarget]] as const) {
      const u = r.unseenTargetShare;
      const overall = (u < 1 ? (1 - u) * b.seen : 0) + (u > 0 ? u * b.unseen : 0);
      expect(overall).toBeCloseTo(m['HR@20']!, 10);
    }
    expect(s.unseen_target_share).toBe(Number(r.unseenTargetShare.toFixed(5)));
    expect(s.start).toHaveProperty('HR@20_by_target.seen');
    expect(table(r)).toMatch(/HR@20 seen \/ unseen[\s\S]*unseen = test targets with no event in the pretraining data: \d+\.\d % of the cases/);

    // --plot: accuracy without DP (4 rounds) and with DP (3 rounds) on their own axes, ε, one table row per round
    const html = simulationPlot(r);
    expect(html.match(/<svg/g)).toHaveLength(3);
    expect(html).toContain('round 4</text>');
    expect(html.match(/round 3<\/text>/g)).toHaveLength(2);
    expect(html.match(/<tr><td>\d+<\/td>/g)).toHaveLength(4);
    expect(html).toContain(`DP runs: q = ${r.dp[0]!.q.toPrecision(3)}`);
  }, 120_000);

  it('--split val measures the second-to-last event, which no training prefix contains', () => {
    const pop = makePopulation(syntheticDataset(200), { pretrainFraction: 0.2, evalUsers: 50, seed: 1 });
    const val = evaluationCases(pop, 'val'), test = evaluationCases(pop, 'test');
    expect(val).toBe(pop.val);
    expect(test).toBe(pop.test);
    val.forEach((c, i) => {
      expect(c.seq).toBe(test[i]!.seq);
      expect(c.prefixLen).toBe(c.seq.items.length - 2);
      expect(c.target).toBe(c.seq.items[c.seq.items.length - 2]);
    });
    const trained = new Map(pop.clients.map((s) => [s.key, s.items.length]));
    for (const c of val) expect(trained.get(c.seq.key)).toBe(c.prefixLen); // devices train on the events before the val target
  });

  it('ddg noise on the validation split: the summary carries ε against the aggregator, δ and the ddg parameters', async () => {
    const o: SimOptions = { ...OPTIONS, noise: ['ddg'], split: 'val', secaggDevices: 4 };
    const r = await simulate(syntheticDataset(200), o);
    expect(r.split).toBe('val');
    const d = r.dp[0]!;
    expect(d.noise).toBe('ddg');
    expect(d.z).toBe(d.ddg!.sigma / r.clip);
    const s = summary(r, o) as Record<string, Record<string, unknown>>;
    expect(s.federated_dp).toMatchObject({
      noise: 'ddg', delta: 1e-10, epsilon_server: Number(d.epsilonServer!.toFixed(3)), epsilon: Number(d.epsilon!.toFixed(3)), bits: 20,
      n_honest: d.ddg!.nHonest, bytes_per_client: d.ddg!.bytesPerClient, max_uploads: d.maxUploads, secagg: { devices: 4, bit_identical: true },
    });
    for (const k of ['sigma', 'gamma', 'min_cohort', 'max_cohort', 'uploads_allowed', 'rounds_released', 'wrap_probability']) expect(typeof s.federated_dp![k]).toBe('number');
    expect(s).toMatchObject({ split: 'val', eval_on: 'federated users (val = second-to-last event)' });
    expect(table(r)).toMatch(/federated, DP ddg .*σ=.*γ=.*20 bits \(\d+ B\/client\), n_honest=\d+ .*SecAgg\+ 4 devices bit-identical/);
  }, 120_000);
});
