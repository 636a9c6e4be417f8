/**
 * The CLI's one plotter: line charts as inline SVG in a self-contained HTML page (no scripts, no network), for
 * `perch train --plot` (curves per epoch) and `perch simulate --plot` (curves per round).
 */

export interface Series { name: string; color: string; points: Array<[number, number]>; dashed?: boolean }

export interface Axes {
  /** What x counts, for the axis ends ("epoch", "round"). */
  x: string;
  xMin: number;
  xMax: number;
  /** Label of the y axis. */
  y: string;
  /** Start the y axis at 0 (ε) rather than just below the data (accuracy, loss). */
  fromZero?: boolean;
}

/** One SVG line chart with its series, axis ends and a legend. */
export function lineChart(title: string, series: Series[], a: Axes): string {
  const w = 520, h = 240, ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const lo = a.fromZero ? 0 : Math.min(...ys) - 0.05 * Math.abs(Math.min(...ys)), hi = Math.max(...ys, 1e-9) * 1.05;
  const X = (x: number): number => ((x - a.xMin) / Math.max(1e-9, a.xMax - a.xMin)) * w, Y = (y: number): number => h - ((y - lo) / (hi - lo || 1)) * h;
  const lines = series.map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`).join('');
  const legend = series.map((s, i) => `<text x="${(i % 3) * 180}" y="${h + 36 + Math.floor(i / 3) * 16}" fill="${s.color}">${esc(s.name)}</text>`).join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg width="${w + 90}" height="${h + 90}" font-family="sans-serif" font-size="12">
<g transform="translate(70,10)"><rect width="${w}" height="${h}" fill="none" stroke="#ccc"/>${lines}
<text x="-6" y="10" text-anchor="end">${hi.toPrecision(3)}</text><text x="-6" y="${h}" text-anchor="end">${lo.toPrecision(3)}</text>
<text x="-50" y="${h / 2}" transform="rotate(-90 -50 ${h / 2})" text-anchor="middle">${esc(a.y)}</text>
<text x="0" y="${h + 16}">${a.x} ${a.xMin}</text><text x="${w}" y="${h + 16}" text-anchor="end">${a.x} ${a.xMax}</text>${legend}</g></svg></figure>`;
}

/** The page around the charts. `body` is trusted HTML built by the caller. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:1em}td,th{padding:2px 8px;text-align:right}</style>
${body}`;
}

export const esc = (s: string): string => s.replace(/[<&>"]/g, (c) => `&#${c.charCodeAt(0)};`);
