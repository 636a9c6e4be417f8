/** `--plot`: test HR@20 and ε against rounds, as one self-contained HTML page with inline SVG (no scripts). */
import { htmlPage, lineChart, type Series } from '../plot.js';
import type { SimResult } from './simulate.js';

/**
 * The page: accuracy against rounds for the run without DP and, on their own round axis, for the DP runs (the
 * start and centralised dense-only training as flat reference lines; centralised training of all weights is in
 * the heading, as a line it would flatten the others), ε of the DP runs, and every round in a table.
 */
export function simulationPlot(r: SimResult): string {
  const flat = (name: string, y: number, color: string, until: number): Series => ({ name, color, dashed: true, points: [[0, y], [until, y]] });
  const curve = (name: string, logs: SimResult['federated']['logs'], color: string): Series => ({
    name, color, points: [[0, r.start['HR@20']!], ...logs.filter((l) => l.test).map((l): [number, number] => [l.round, l.test!['HR@20']!])],
  });
  const refs = (until: number): Series[] => [flat('pretrained start', r.start['HR@20']!, '#888', until), flat('central (dense only)', r.central['HR@20']!, '#393', until)];
  const colors = ['#c33', '#939', '#f80'];
  const dpRounds = Math.max(0, ...r.dp.map((d) => d.rounds));
  const acc: Series[] = [...refs(r.federated.rounds), curve('federated, no DP', r.federated.logs, '#36c')];
  const dpAcc: Series[] = [...refs(dpRounds), ...r.dp.map((d, i) => curve(`federated, DP ${d.noise}`, d.logs, colors[i % colors.length]!))];
  const eps = r.dp.map((d, i): Series => ({ name: `ε, DP ${d.noise} (z=${d.z.toPrecision(3)})`, color: colors[i % colors.length]!, points: [[0, 0], ...d.logs.map((l): [number, number] => [l.round, l.epsilon ?? 0])] }));
  const last = Math.max(r.federated.logs.length, ...r.dp.map((d) => d.logs.length));
  const cells = (l: SimResult['federated']['logs'][number] | undefined, withEps: boolean): string =>
    `<td>${l?.clients ?? ''}</td><td>${l?.test ? l.test['HR@20']!.toFixed(4) : ''}</td>${withEps ? `<td>${l?.epsilon?.toFixed(3) ?? ''}</td>` : ''}`;
  const rows = Array.from({ length: last }, (_, i) => `<tr><td>${i + 1}</td>${cells(r.federated.logs[i], false)}${r.dp.map((d) => cells(d.logs[i], true)).join('')}</tr>`).join('');
  const dpHead = r.dp.map((d) => `<th>DP ${d.noise}: clients</th><th>HR@20</th><th>ε</th>`).join('');
  const dpQ = r.dp[0] ? `; DP runs: q = ${r.dp[0].q.toPrecision(3)}, z = ${r.dp[0].z.toPrecision(3)}` : '';
  return htmlPage('Perch federated simulation', `<h1>Federated simulation: ${r.clients} clients, C = ${r.clip.toPrecision(3)}, ${r.bytesPerClientRound} bytes per client round</h1>
<p>${r.split === 'val' ? 'Validation' : 'Test'} HR@20 on ${r.evalUsers} federated users (leave-one-out, ${r.split === 'val' ? 'second-to-last' : 'last'} event). Without DP: q = ${r.q.toPrecision(3)}${dpQ}.
Pretrained start ${r.start['HR@20']!.toFixed(4)}; centralised, dense weights only ${r.central['HR@20']!.toFixed(4)}; centralised, all weights ${r.centralFull['HR@20']!.toFixed(4)}.</p>
${lineChart('without DP: test HR@20 against rounds', acc, { x: 'round', xMin: 0, xMax: r.federated.rounds, y: 'HR@20' })}
${dpAcc.length > 2 ? lineChart('with DP: test HR@20 against rounds', dpAcc, { x: 'round', xMin: 0, xMax: dpRounds, y: 'HR@20' }) : ''}
${eps.length ? lineChart('ε per device against rounds', eps, { x: 'round', xMin: 0, xMax: dpRounds, y: 'ε', fromZero: true }) : ''}
<table><tr><th>round</th><th>no DP: clients</th><th>HR@20</th>${dpHead}</tr>${rows}</table>`);
}
