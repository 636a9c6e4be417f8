// `pnpm bench trainer`: training throughput of the plain-TypeScript trainer on a Beauty slice (default
// hyper-parameters, one epoch), single-threaded and data-parallel on worker_threads. Validation is excluded
// from the figure. Prints one JSON line per figure.
import { availableParallelism, loadavg } from 'node:os';
import { leaveOneOut } from '@perch/model/data';
import { localEngine, train } from '@perch/model/plain';
import { parallelEngine } from '../src/train/parallel.js';
import { beautySlice } from '../test/beauty-slice.js';

const ds = beautySlice(3000);
const split = leaveOneOut(ds.sequences);
const opts = { maxEpochs: 1, maxValCases: 100 };
const threads = Math.min(2, availableParallelism());

const single = await train(ds, split, opts, {}, localEngine);
const positions = split.train.reduce((n, s) => n + Math.max(0, Math.min(s.items.length, 50) - 1), 0);
console.log(JSON.stringify({ bench: 'trainer', metric: 'events_per_second', value: Math.round(single.eventsPerSecond), unit: 'events/s', threads: 1, events: positions, loadavg1: loadavg()[0] }));
if (threads > 1) {
  const par = await train(ds, split, opts, {}, (c) => parallelEngine(c, threads));
  console.log(JSON.stringify({ bench: 'trainer', metric: 'events_per_second_parallel', value: Math.round(par.eventsPerSecond), unit: 'events/s', threads, events: positions, loadavg1: loadavg()[0] }));
}
