/** Command-line options of `perch eval` and `perch train` (the shared parser: ../args.ts). */
import { intAtLeast, numberOf, numbersOf, parseCommandLine, UsageError, type CommandLine } from '../args.js';

/** Parsed command line: the command and its options. */
export interface Args {
  command: string;
  flags: CommandLine;
}

/** Flags each command accepts; every one takes a value. */
export const FLAGS: Record<string, string[]> = {
  eval: ['data', 'attrs', 'events', 'catalog', 'report', 'seed', 'seeds', 'split', 'plot', 'epochs', 'max-seconds', 'set', 'threads'],
  train: ['data', 'attrs', 'events', 'catalog', 'report', 'seed', 'plot', 'epochs', 'max-seconds', 'set', 'threads', 'out'],
};

export const USAGE = `usage:
  perch eval  (--data FILE [--attrs FILE] | --events EXPORT [--catalog FEED] [--report FILE.json]) [--seed N | --seeds LIST] [--split val|test] [--plot FILE.html] [--epochs N] [--max-seconds S] [--threads N] [--set key=value,…]
  perch train (--data … | --events …) --out DIR [--seed N] [--plot …] [--epochs …] [--max-seconds …] [--threads …] [--set …]
  perch simulate [--quick] [--seed N] [--plot FILE.html] …   federated simulation (perch simulate --help)
  perch attack [--seeds LIST] [--noise LIST] [--model DIR] …  decoding attack on single uploads (perch attack --help)

  --data         S3-Rec sequence file (user item item …) or event log (CSV with header / JSON Lines)
  --attrs        item2attributes JSON for a sequence file
  --events       a shop's analytics export: GA4 BigQuery export (NDJSON or Parquet: a file, a glob of daily
                 tables, or a URL) or a Segment / RudderStack warehouse dump (docs/onboarding.md)
  --catalog      the shop's product feed (Merchant Center RSS/Atom XML or TSV; a path or a URL) describing
                 the export's items (category, brand, price bucket) and adding the products nobody touched yet
  --report       write what was read and every problem found (counts, examples with file:line) as JSON
  --seed         integer seed (default 1): runs with the same seed are identical on any machine and thread
                 count (up to float summation order across thread counts)
  --seeds        (eval) several seeds, e.g. 1,2,3: one training run each; the table and the JSON give the
                 mean and a 95 % t-interval of every metric, and every seed's figures
  --split        (eval) what the figures are measured on: test (default: the last event of each user) or val
                 (the second-to-last, on the validation cases early stopping did not use; the test events are
                 never read). Choose settings with val, report with test once
  --plot         write the training curves (loss, validation HR@20/NDCG@20) as a self-contained HTML file
  --epochs       maximum epochs (early stopping usually ends sooner)
  --max-seconds  optional training time budget in seconds (default none); a run it stops depends on the
                 machine's speed and load and is marked "stopped_by": "time"
  --threads      worker threads for data-parallel gradients (default 1: no workers; with the SIMD kernels
                 two workers are slower than one thread on 2 cores); changes only the float summation
                 order, not the run
  --set          override hyper-parameters, e.g. --set dim=64,hidden=64,lr=0.002 (see docs/model.md)
  --out          (train) directory for the trained weights`;

/** Parses argv (after the script). Throws UsageError on unknown commands/flags or missing values. */
export function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') throw new UsageError('');
  const allowed = FLAGS[command];
  if (!allowed) throw new UsageError(`unknown command "${command}"`);
  const flags = parseCommandLine(rest, allowed);
  const data = flags.get('data') !== undefined, events = flags.get('events') !== undefined;
  if (data === events) throw new UsageError(`${command} needs --data FILE or --events EXPORT (one of them)`);
  if (flags.get('catalog') !== undefined && !events) throw new UsageError('--catalog describes the items of --events');
  if (flags.get('attrs') !== undefined && !data) throw new UsageError('--attrs goes with --data');
  if (command === 'train' && flags.get('out') === undefined) throw new UsageError('train needs --out DIR');
  if (flags.get('seed') !== undefined && flags.get('seeds') !== undefined) throw new UsageError('give --seed or --seeds, not both');
  const split = flags.get('split');
  if (split !== undefined && split !== 'val' && split !== 'test') throw new UsageError(`--split must be val or test, got "${split}"`);
  return { command, flags };
}

/** The seeds of a run: `--seeds LIST`, or `--seed N`, or [1]; a repeated seed is a usage error. */
export function seedsFlag(args: Args): number[] {
  const list = numbersOf(args.flags, 'seeds', intAtLeast(0), 'a comma-separated list of integers ≥ 0') ?? [intFlag(args, 'seed', 0) ?? 1];
  if (new Set(list).size !== list.length) throw new UsageError(`--seeds repeats a seed: ${list.join(',')}`);
  return list;
}

/** Reads an integer flag, with a usage error when it is not one. */
export const intFlag = (args: Args, name: string, min: number): number | undefined => numberOf(args.flags, name, intAtLeast(min), `an integer ≥ ${min}`);

/** Parses `--set k=v,k=v` into numeric hyper-parameter overrides, checking names against `known`. */
export function setFlag(args: Args, known: object): Record<string, number> {
  const v = args.flags.get('set');
  const out: Record<string, number> = {};
  if (!v) return out;
  for (const part of v.split(',')) {
    const [k, val] = part.split('=');
    if (!k || val === undefined || !(k in known)) throw new UsageError(`--set: unknown hyper-parameter "${k}" (known: ${Object.keys(known).join(', ')})`);
    const n = Number(val);
    if (!Number.isFinite(n)) throw new UsageError(`--set ${k}: "${val}" is not a finite number`);
    out[k] = n;
  }
  return out;
}
