/** `perch train --plot`: the loss and validation curves per epoch, and every epoch in a table. */
import type { EpochLog } from '@perch/model/plain';
import { esc, htmlPage, lineChart, type Series } from '../plot.js';

export function trainingPlot(dataset: string, history: EpochLog[]): string {
  const n = Math.max(1, history.length);
  const per = (name: string, color: string, f: (e: EpochLog) => number): Series => ({ name, color, points: history.map((e) => [e.epoch, f(e)]) });
  const rows = history.map((e) => `<tr><td>${e.epoch}</td><td>${e.loss.toFixed(4)}</td><td>${e.val['HR@20']!.toFixed(4)}</td><td>${e.val['NDCG@20']!.toFixed(4)}</td><td>${e.lr}</td><td>${e.seconds.toFixed(1)}</td></tr>`).join('');
  return htmlPage(`Perch training: ${dataset}`, `<h1>Training curves: ${esc(dataset)}</h1>
${lineChart('training loss (sampled softmax cross-entropy)', [per('loss', '#c33', (e) => e.loss)], { x: 'epoch', xMin: 1, xMax: n, y: 'loss' })}
${lineChart('validation', [per('HR@20', '#36c', (e) => e.val['HR@20']!), per('NDCG@20', '#393', (e) => e.val['NDCG@20']!)], { x: 'epoch', xMin: 1, xMax: n, y: '@20' })}
<table><tr><th>epoch</th><th>loss</th><th>val HR@20</th><th>val NDCG@20</th><th>lr</th><th>seconds</th></tr>${rows}</table>`);
}
