#!/usr/bin/env -S npx tsx
// `perch simulate …`: the federated-learning simulation. Exit codes: 0 ok, 1 failure, 2 usage error.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSequenceFile } from '@perch/model/data';
import { UsageError } from '../args.js';
import { parseSimArgs, USAGE } from './options.js';
import { simulationPlot } from './plot.js';
import { Progress } from '../progress.js';
import { summary, table } from './report.js';
import { simulate } from './simulate.js';

const log = (s: string): void => void process.stderr.write(`${s}\n`);
/** The repository root (this file is packages/cli/src/simulate/command.ts): the default data path is relative to it. */
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Runs `simulate …` (argv starts with the command word); returns the process exit code. */
export async function runSimulate(argv: string[]): Promise<number> {
  let args;
  try { args = parseSimArgs(argv); } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message) log(`perch: ${e.message}`);
    log(USAGE);
    return argv.includes('--help') || argv.includes('-h') ? 0 : 2; // asked-for help is not an error
  }
  let ds;
  if (args.events !== undefined) {
    // a shop's own export (and feed), read as `perch train --events` reads it
    const { readShop } = await import('../ingest/dataset.js');
    const { SourceError } = await import('../ingest/report.js');
    let shop;
    try {
      shop = await readShop({ events: args.events, sequence: 'user', ...(args.catalog !== undefined ? { catalog: args.catalog } : {}) });
    } catch (e) {
      if (!(e instanceof SourceError)) throw e;
      log(`perch: ${e.message}`);
      return 2;
    }
    for (const l of shop.report.lines()) log(l);
    ds = shop.dataset;
  } else {
    const dir = args.data !== undefined ? resolve(args.data) : resolve(REPO_ROOT, '../shared/data/amazon-beauty');
    const seqFile = join(dir, 'Beauty.txt'), attrFile = join(dir, 'Beauty_item2attributes.json');
    if (!existsSync(seqFile)) { log(`perch: no dataset at ${seqFile}`); log(USAGE); return 2; }
    ds = parseSequenceFile(readFileSync(seqFile, 'utf8'), 'Beauty.txt', existsSync(attrFile) ? readFileSync(attrFile, 'utf8') : undefined, 'Beauty_item2attributes.json');
  }
  const o = args.options;
  log(`read ${ds.sequences.length} users, ${ds.vocab.length - 1} items; ${args.quick ? 'quick run' : 'full run'}, seed ${o.seed}`);
  let bar = new Progress('');
  const res = await simulate(ds, o, {
    phase: (name) => { bar.done(); log(`== ${name}`); bar = new Progress(name.split(' (')[0]!); },
    pretrain: {
      onBatch: (e, done, total, loss) => bar.update(done, total, `epoch ${e} loss ${loss.toFixed(3)}`),
      onEpoch: (l) => bar.done(`epoch ${l.epoch}: val HR@20 ${l.val['HR@20']!.toFixed(4)} (${l.seconds.toFixed(0)} s)`),
    },
    central: (mode, e, m) => log(`central ${mode} epoch ${e}: val HR@20 ${m['HR@20']!.toFixed(4)} NDCG@20 ${m['NDCG@20']!.toFixed(4)}`),
    round: (run, l, total) => {
      bar.update(l.round, total, `${l.clients} clients${l.epsilon !== null ? `, ε ${l.epsilon.toFixed(2)}` : ''}${l.test ? `, HR@20 ${l.test['HR@20']!.toFixed(4)}` : ''}`);
      if (!l.released) log(`${run} round ${l.round}: ${l.clients} clients, ${l.ddgSum && l.ddgSum.norm > l.ddgSum.bound ? 'sum above the norm bound of honest devices' : 'below the minimum cohort'}: not released`);
      if (l.test) log(`${run} round ${l.round}: ${l.clients} clients, ${l.bytesPerClient} B/client, ${o.split} HR@20 ${l.test['HR@20']!.toFixed(4)} NDCG@20 ${l.test['NDCG@20']!.toFixed(4)}${l.epsilon !== null ? `, ε ${l.epsilon.toFixed(3)}` : ''}${l.ddgError ? `, decoded-sum error RMS ${l.ddgError.rms.toPrecision(3)} (rounding + noise ${l.ddgError.expected.toPrecision(3)})` : ''} (${l.seconds.toFixed(1)} s)`);
    },
  });
  bar.done();
  for (const d of res.dp) {
    const s = d.secagg;
    if (s) log(`SecAgg+ (round ${s.round}, ${s.devices} devices, k ${s.k}, t ${s.t}): unmasked sum ${s.bitIdentical ? 'bit-identical to' : 'DIFFERS from'} the plain modular sum; ${s.seconds.toFixed(1)} s wall for the whole protocol in one process (server ${s.serverSeconds.toFixed(1)} s), ${Math.round(s.bytesUpPerDevice)} B up and ${Math.round(s.bytesDownPerDevice)} B down per device (JSON)`);
  }
  log(table(res));
  if (args.plot) { writeFileSync(args.plot, simulationPlot(res)); log(`wrote ${args.plot}`); }
  process.stdout.write(`${JSON.stringify(summary(res, o))}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await runSimulate(process.argv.slice(2));
