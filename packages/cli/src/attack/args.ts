/** Command-line options of `perch attack`: parsing, defaults and usage errors (exit code 2). */
import { parseArgs } from 'node:util';
import { FULL, UsageError } from '../simulate/options.js';
import { DEFAULT_POLICY } from '@perch/learn/privacy';
import type { AttackOptions } from './experiment.js';

/**
 * Defaults: the simulator's pretraining (5 % of the users, at most 40 epochs with early stopping, d = h = 64), the
 * device policy's clip bound, and noise levels none, 1 and the policy's minimum device noise.
 */
export const DEFAULTS: AttackOptions = {
  seeds: [1, 2, 3], noise: [0, 1, DEFAULT_POLICY.minNoiseMultiplier], clip: DEFAULT_POLICY.clipBound, valDevices: 200, testDevices: 300, shadowDevices: 1000,
  pretrainFraction: FULL.pretrainFraction, pretrainEpochs: FULL.pretrainEpochs, dim: FULL.dim, hidden: FULL.hidden,
};

export const USAGE = `usage: perch attack [--data DIR] [--model DIR] [--seeds LIST] [--noise LIST] [options]

Decodes single federated uploads: from one device's upload as the aggregator receives it (clipped, noised,
int8-quantised dense deltas), ranks the items and attributes the device touched; the attacker is chosen on
validation devices and reported on separate test devices (top-10 recovery, hit@10, 95 % intervals, chance).

  --data DIR              dataset directory with Beauty.txt and Beauty_item2attributes.json
                          (default: ../shared/data/amazon-beauty from the repository root)
  --model DIR             attack this exported model (manifest.json …) instead of pretraining one per seed; the devices
                          are still the users the seeded split leaves out of pretraining: the model must not have seen them
  --seeds LIST            comma-separated integer seeds (default ${DEFAULTS.seeds.join(',')}): model, devices, noise and intervals
  --noise LIST            noise multipliers z of the uploads, comma-separated (default ${DEFAULTS.noise.join(',')})
  --clip X                clip bound C (default ${DEFAULTS.clip}, the device policy's)
  --val-devices N         validation devices per seed, to choose the attacker (default ${DEFAULTS.valDevices})
  --test-devices N        test devices per seed, for the reported figures (default ${DEFAULTS.testDevices})
  --shadow-devices N      pretraining users the learned linear decoder is fitted on, at most (default ${DEFAULTS.shadowDevices};
                          0 = no learned decoder)
  --pretrain-fraction X   share of the users the model is pretrained on (default ${DEFAULTS.pretrainFraction})
  --pretrain-epochs N     pretraining epochs at most (early stopping may end sooner; default ${DEFAULTS.pretrainEpochs})
  --dim N                 embedding size of the pretrained model (default ${DEFAULTS.dim})
  --hidden N              GRU hidden size of the pretrained model (default ${DEFAULTS.hidden})`;

export interface AttackArgs { options: AttackOptions; data?: string; model?: string }

const OPTION_NAMES = ['data', 'model', 'seeds', 'noise', 'clip', 'val-devices', 'test-devices', 'shadow-devices', 'pretrain-fraction', 'pretrain-epochs', 'dim', 'hidden'] as const;
/** Every option the parser accepts (without the leading --). */
export const OPTIONS: readonly string[] = OPTION_NAMES;

function numbers(flag: string, v: string, ok: (n: number) => boolean, what: string): number[] {
  const parts = v.split(',').map((s) => s.trim()), out = parts.map(Number);
  if (parts.some((s) => s === '') || out.some((n) => !(Number.isFinite(n) && ok(n)))) throw new UsageError(`--${flag} must be ${what}, got "${v}"`);
  return out;
}
const one = (flag: string, v: string, ok: (n: number) => boolean, what: string): number => {
  const n = numbers(flag, v, ok, what);
  if (n.length !== 1) throw new UsageError(`--${flag} must be ${what}, got "${v}"`);
  return n[0]!;
};
const isInt = (min: number) => (n: number): boolean => Number.isInteger(n) && n >= min;

/** Parses `attack …` arguments (the command word first). Throws UsageError on anything wrong. */
export function parseAttackArgs(argv: string[]): AttackArgs {
  const [command, ...rest] = argv;
  if (command !== 'attack') throw new UsageError(command ? `unknown command "${command}"` : '');
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: rest, strict: true, allowPositionals: false,
      options: { help: { type: 'boolean', short: 'h' }, ...Object.fromEntries(OPTION_NAMES.map((n) => [n, { type: 'string' as const }])) },
    }).values;
  } catch (e) { throw new UsageError((e as Error).message); }
  if (values.help) throw new UsageError('');
  const o: AttackOptions = { ...DEFAULTS, seeds: [...DEFAULTS.seeds], noise: [...DEFAULTS.noise] };
  const get = (n: string): string | undefined => values[n] as string | undefined;
  const v = (n: string): string | undefined => { const x = get(n); if (x === '') throw new UsageError(`option --${n} needs a value`); return x; };
  if (v('seeds') !== undefined) o.seeds = numbers('seeds', v('seeds')!, isInt(0), 'a list of integers ≥ 0');
  if (new Set(o.seeds).size !== o.seeds.length) throw new UsageError('--seeds lists a seed twice');
  if (v('noise') !== undefined) o.noise = numbers('noise', v('noise')!, (n) => n >= 0, 'a list of numbers ≥ 0');
  if (v('clip') !== undefined) o.clip = one('clip', v('clip')!, (n) => n > 0, 'a number > 0');
  if (v('val-devices') !== undefined) o.valDevices = one('val-devices', v('val-devices')!, isInt(1), 'an integer ≥ 1');
  if (v('test-devices') !== undefined) o.testDevices = one('test-devices', v('test-devices')!, isInt(2), 'an integer ≥ 2');
  if (v('shadow-devices') !== undefined) o.shadowDevices = one('shadow-devices', v('shadow-devices')!, isInt(0), 'an integer ≥ 0');
  if (v('pretrain-fraction') !== undefined) o.pretrainFraction = one('pretrain-fraction', v('pretrain-fraction')!, (n) => n > 0 && n < 1, 'a number in (0, 1)');
  if (v('pretrain-epochs') !== undefined) o.pretrainEpochs = one('pretrain-epochs', v('pretrain-epochs')!, isInt(1), 'an integer ≥ 1');
  if (v('dim') !== undefined) o.dim = one('dim', v('dim')!, isInt(1), 'an integer ≥ 1');
  if (v('hidden') !== undefined) o.hidden = one('hidden', v('hidden')!, isInt(1), 'an integer ≥ 1');
  return { options: o, data: v('data'), model: v('model') };
}
