import type { EpochLog } from '@perch/model/plain';

/** Polyline points of `ys` scaled into a w×h box (x = index). */
function path(ys: number[], w: number, h: number, lo: number, hi: number): string {
  const span = hi - lo || 1;
  return ys.map((y, i) => `${(ys.length === 1 ? w / 2 : (i / (ys.length - 1)) * w).toFixed(1)},${(h - ((y - lo) / span) * h).toFixed(1)}`).join(' ');
}

/** One SVG chart with its series, axis range labels and a legend. */
function chart(title: string, series: Array<{ name: string; ys: number[]; color: string }>): string {
  const w = 420, h = 200, all = series.flatMap((s) => s.ys);
  const lo = Math.min(...all), hi = Math.max(...all);
  const lines = series.map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${path(s.ys, w, h, lo, hi)}"/>`).join('');
  const legend = series.map((s, i) => `<text x="${60 + i * 110}" y="${h + 45}" fill="${s.color}">${s.name}</text>`).join('');
  return `<figure><figcaption>${title}</figcaption><svg width="${w + 80}" height="${h + 60}" font-family="sans-serif" font-size="12">
<g transform="translate(60,10)"><rect width="${w}" height="${h}" fill="none" stroke="#ccc"/>${lines}
<text x="-6" y="10" text-anchor="end">${hi.toPrecision(4)}</text><text x="-6" y="${h}" text-anchor="end">${lo.toPrecision(4)}</text>
<text x="0" y="${h + 16}">epoch 1</text><text x="${w}" y="${h + 16}" text-anchor="end">epoch ${series[0]?.ys.length ?? 0}</text></g>${legend}</svg></figure>`;
}

/** Self-contained HTML page (inline SVG, no scripts) with the loss and validation curves per epoch. */
export function trainingPlot(dataset: string, history: EpochLog[]): string {
  const esc = (s: string): string => s.replace(/[<&>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const rows = history.map((e) => `<tr><td>${e.epoch}</td><td>${e.loss.toFixed(4)}</td><td>${e.val['HR@20']!.toFixed(4)}</td><td>${e.val['NDCG@20']!.toFixed(4)}</td><td>${e.lr}</td><td>${e.seconds.toFixed(1)}</td></tr>`).join('');
  return `<!doctype html><meta charset="utf-8"><title>Perch training: ${esc(dataset)}</title>
<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:1em}td,th{padding:2px 8px;text-align:right}</style>
<h1>Training curves: ${esc(dataset)}</h1>
${chart('training loss (sampled softmax cross-entropy)', [{ name: 'loss', ys: history.map((e) => e.loss), color: '#c33' }])}
${chart('validation', [{ name: 'HR@20', ys: history.map((e) => e.val['HR@20']!), color: '#36c' }, { name: 'NDCG@20', ys: history.map((e) => e.val['NDCG@20']!), color: '#393' }])}
<table><tr><th>epoch</th><th>loss</th><th>val HR@20</th><th>val NDCG@20</th><th>lr</th><th>seconds</th></tr>${rows}</table>`;
}
