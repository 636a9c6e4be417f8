/** `--plot`: test HR@20 and ε against rounds, as one self-contained HTML page with inline SVG (no scripts). */
import type { SimResult } from './simulate.js';

interface Series { name: string; color: string; points: Array<[number, number]>; dashed?: boolean }

/** One SVG line chart; `fromZero` starts the y axis at 0 (ε), otherwise just below the data (accuracy). */
function chart(title: string, series: Series[], xMax: number, yLabel: string, fromZero: boolean): string {
  const w = 520, h = 240, ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const lo = fromZero ? 0 : Math.min(...ys) * 0.9, hi = Math.max(...ys, 1e-9) * 1.05;
  const X = (x: number): number => (x / Math.max(1, xMax)) * w, Y = (y: number): number => h - ((y - lo) / (hi - lo)) * h;
  const lines = series.map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`).join('');
  const legend = series.map((s, i) => `<text x="${(i % 3) * 180}" y="${h + 36 + Math.floor(i / 3) * 16}" fill="${s.color}">${s.name}</text>`).join('');
  return `<figure><figcaption>${title}</figcaption><svg width="${w + 90}" height="${h + 90}" font-family="sans-serif" font-size="12">
<g transform="translate(70,10)"><rect width="${w}" height="${h}" fill="none" stroke="#ccc"/>${lines}
<text x="-6" y="10" text-anchor="end">${hi.toPrecision(3)}</text><text x="-6" y="${h}" text-anchor="end">${lo.toPrecision(3)}</text>
<text x="-50" y="${h / 2}" transform="rotate(-90 -50 ${h / 2})" text-anchor="middle">${yLabel}</text>
<text x="0" y="${h + 16}">round 0</text><text x="${w}" y="${h + 16}" text-anchor="end">round ${xMax}</text>${legend}</g></svg></figure>`;
}

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
  return `<!doctype html><meta charset="utf-8"><title>Perch federated simulation</title>
<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:1em}td,th{padding:2px 8px;text-align:right}</style>
<h1>Federated simulation: ${r.clients} clients, C = ${r.clip.toPrecision(3)}, ${r.bytesPerClientRound} bytes per client round</h1>
<p>Test HR@20 on ${r.evalUsers} federated users (leave-one-out, last event). Without DP: q = ${r.q.toPrecision(3)}${dpQ}.
Pretrained start ${r.start['HR@20']!.toFixed(4)}; centralised, dense weights only ${r.central['HR@20']!.toFixed(4)}; centralised, all weights ${r.centralFull['HR@20']!.toFixed(4)}.</p>
${chart('without DP: test HR@20 against rounds', acc, r.federated.rounds, 'HR@20', false)}
${dpAcc.length > 2 ? chart('with DP: test HR@20 against rounds', dpAcc, dpRounds, 'HR@20', false) : ''}
${eps.length ? chart('ε per device against rounds', eps, dpRounds, 'ε', true) : ''}
<table><tr><th>round</th><th>no DP: clients</th><th>HR@20</th>${dpHead}</tr>${rows}</table>`;
}
