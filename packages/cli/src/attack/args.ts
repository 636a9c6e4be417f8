/** Command-line options of `perch attack`: parsing, defaults and usage errors (exit code 2). */
import { intAtLeast, numberOf, numbersOf, parseCommandLine, UsageError } from '../args.js';
import { FULL } from '../simulate/options.js';
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

/** Parses `attack …` arguments (the command word first). Throws UsageError on anything wrong. */
export function parseAttackArgs(argv: string[]): AttackArgs {
  const [command, ...rest] = argv;
  if (command !== 'attack') throw new UsageError(command ? `unknown command "${command}"` : '');
  const c = parseCommandLine(rest, OPTION_NAMES);
  const o: AttackOptions = { ...DEFAULTS, seeds: [...DEFAULTS.seeds], noise: [...DEFAULTS.noise] };
  o.seeds = numbersOf(c, 'seeds', intAtLeast(0), 'a list of integers ≥ 0') ?? o.seeds;
  if (new Set(o.seeds).size !== o.seeds.length) throw new UsageError('--seeds lists a seed twice');
  o.noise = numbersOf(c, 'noise', (n) => n >= 0, 'a list of numbers ≥ 0') ?? o.noise;
  o.clip = numberOf(c, 'clip', (n) => n > 0, 'a number > 0') ?? o.clip;
  o.valDevices = numberOf(c, 'val-devices', intAtLeast(1), 'an integer ≥ 1') ?? o.valDevices;
  o.testDevices = numberOf(c, 'test-devices', intAtLeast(2), 'an integer ≥ 2') ?? o.testDevices;
  o.shadowDevices = numberOf(c, 'shadow-devices', intAtLeast(0), 'an integer ≥ 0') ?? o.shadowDevices;
  o.pretrainFraction = numberOf(c, 'pretrain-fraction', (n) => n > 0 && n < 1, 'a number in (0, 1)') ?? o.pretrainFraction;
  o.pretrainEpochs = numberOf(c, 'pretrain-epochs', intAtLeast(1), 'an integer ≥ 1') ?? o.pretrainEpochs;
  o.dim = numberOf(c, 'dim', intAtLeast(1), 'an integer ≥ 1') ?? o.dim;
  o.hidden = numberOf(c, 'hidden', intAtLeast(1), 'an integer ≥ 1') ?? o.hidden;
  return { options: o, data: c.get('data'), model: c.get('model') };
}
