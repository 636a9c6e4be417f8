// `perch attack …`: the decoding attack on single uploads. Exit codes: 0 ok, 1 failure, 2 usage error.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSequenceFile } from '@perch/model/data';
import { UsageError } from '../args.js';
import { Progress } from '../progress.js';
import { parseAttackArgs, USAGE, type AttackArgs } from './args.js';
import { attackExperiment } from './experiment.js';
import { readExportDir } from './model-source.js';
import { summary, table } from './report.js';

const log = (s: string): void => void process.stderr.write(`${s}\n`);
/** The shared Beauty folder beside the repository (this file is packages/cli/src/attack/cli.ts). */
const BEAUTY = fileURLToPath(new URL('../../../../../shared/data/amazon-beauty', import.meta.url));

/** The parsed command line, or the exit code once the usage is printed (0 for --help, 2 for a usage error). */
function argsOrExit(argv: string[]): AttackArgs | number {
  try { return parseAttackArgs(argv); } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    log(`${e.message ? `perch: ${e.message}\n` : ''}${USAGE}`);
    return e.message === '' && argv.some((a) => a === '--help' || a === '-h') ? 0 : 2;
  }
}

/** Runs `attack …` (argv starts with the command word); returns the process exit code. */
export async function runAttack(argv: string[]): Promise<number> {
  const args = argsOrExit(argv);
  if (typeof args === 'number') return args;
  const dir = resolve(args.data ?? BEAUTY);
  const seqFile = join(dir, 'Beauty.txt'), attrFile = join(dir, 'Beauty_item2attributes.json');
  if (!existsSync(seqFile)) { log(`perch: no dataset at ${seqFile}`); log(USAGE); return 2; }
  if (args.model !== undefined && !existsSync(join(args.model, 'manifest.json'))) { log(`perch: no manifest.json in ${args.model}`); log(USAGE); return 2; }
  const ds = parseSequenceFile(readFileSync(seqFile, 'utf8'), 'Beauty.txt', existsSync(attrFile) ? readFileSync(attrFile, 'utf8') : undefined, 'Beauty_item2attributes.json');
  const loaded = args.model !== undefined ? await readExportDir(args.model) : undefined;
  const o = args.options;
  log(`read ${ds.sequences.length} users, ${ds.vocab.length - 1} items; seeds ${o.seeds.join(', ')}, noise z ${o.noise.join(', ')}, C ${o.clip}`);
  let bar = new Progress('');
  const res = await attackExperiment(ds, o, loaded, {
    phase: (name) => { bar.done(); log(`== ${name}`); bar = new Progress(name.split(':')[0]!); },
    pretrain: { onEpoch: (l) => log(`epoch ${l.epoch}: loss ${l.loss.toFixed(3)}, val HR@20 ${l.val['HR@20']!.toFixed(4)} (${l.seconds.toFixed(0)} s)`) },
    device: (done, total) => bar.update(done, total),
  });
  bar.done();
  const s = summary(res, o);
  log(table(s));
  process.stdout.write(`${JSON.stringify(s)}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await runAttack(process.argv.slice(2));
