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

/** The page: accuracy of every run against rounds (start and central as flat reference lines) and ε of DP runs. */
export function simulationPlot(r: SimResult, rounds: number): string {
  const flat = (name: string, y: number, color: string): Series => ({ name, color, dashed: true, points: [[0, y], [rounds, y]] });
  const curve = (name: string, logs: SimResult['federated']['logs'], color: string): Series => ({
    name, color, points: [[0, r.start['HR@20']!], ...logs.filter((l) => l.test).map((l): [number, number] => [l.round, l.test!['HR@20']!])],
  });
  const colors = ['#c33', '#939', '#f80'];
  const acc: Series[] = [
    flat('pretrained start', r.start['HR@20']!, '#888'), flat('central (dense only)', r.central['HR@20']!, '#393'),
    flat('central (all weights)', r.centralFull['HR@20']!, '#6a6'), curve('federated, no DP', r.federated.logs, '#36c'),
    ...r.dp.map((d, i) => curve(`federated, DP ${d.noise}`, d.logs, colors[i % colors.length]!)),
  ];
  const eps = r.dp.map((d, i): Series => ({ name: `ε, DP ${d.noise} (z=${d.z.toPrecision(3)})`, color: colors[i % colors.length]!, points: [[0, 0], ...d.logs.map((l): [number, number] => [l.round, l.epsilon ?? 0])] }));
  const rows = r.federated.logs.map((l) => `<tr><td>${l.round}</td><td>${l.clients}</td><td>${l.test ? l.test['HR@20']!.toFixed(4) : ''}</td>${r.dp.map((d) => { const x = d.logs[l.round - 1]; return `<td>${x?.clients ?? ''}</td><td>${x?.test ? x.test['HR@20']!.toFixed(4) : ''}</td><td>${x?.epsilon?.toFixed(3) ?? ''}</td>`; }).join('')}</tr>`).join('');
  const dpHead = r.dp.map((d) => `<th>DP ${d.noise}: clients</th><th>HR@20</th><th>ε</th>`).join('');
  return `<!doctype html><meta charset="utf-8"><title>Perch federated simulation</title>
<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:1em}td,th{padding:2px 8px;text-align:right}</style>
<h1>Federated simulation: ${r.clients} clients, q = ${r.q.toPrecision(3)}, C = ${r.clip.toPrecision(3)}, ${r.bytesPerClientRound} bytes per client round</h1>
<p>Test HR@20 on ${r.evalUsers} federated users (leave-one-out, last event).</p>
${chart('test HR@20 against rounds', acc, rounds, 'HR@20', false)}
${eps.length ? chart('ε per device against rounds', eps, rounds, 'ε', true) : ''}
<table><tr><th>round</th><th>no DP: clients</th><th>HR@20</th>${dpHead}</tr>${rows}</table>`;
}
