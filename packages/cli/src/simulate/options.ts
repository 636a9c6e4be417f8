/** Command-line options of `perch simulate`: parsing, defaults, the --quick preset and usage errors. */
import { DEFAULT_RECIPE, DEFAULT_SECAGG_RECIPE, SECAGG_TRAINED, recipeProblems, frozenFromFlag } from '@perch/learn/client';
import { DEFAULT_POLICY, DEFAULT_SECAGG_POLICY } from '@perch/learn/privacy';
import { intAtLeast, numberOf, parseCommandLine, UsageError } from '../args.js';
import type { SimOptions } from './simulate.js';


/** Full-run defaults; --quick overrides some of them (explicit flags win over both). */
export const FULL: SimOptions = {
  // A shop that holds the logs of few users (5 %, pretrained to convergence) and learns from the rest on
  // their devices. Devices take one clipped gradient step (FedSGD-like: 1 local epoch at lr 1, so the delta is
  // the clipped gradient); the server applies bias-corrected FedAdam to the mean. The pretraining share:
  // docs/experiments/2026-12-01-federated-start-and-server-optimiser.md; the server optimiser, against FedAvgM on
  // the validation split: docs/experiments/2026-12-07-simulator-server-optimiser-on-validation.md. Without DP the run is
  // limited by its number of server steps, not by the clients per round (docs/experiments/2026-12-03-server-schedule.md),
  // hence 500 rounds of 150, kept on the validation split against 250 of 300
  // (docs/experiments/2026-12-07-simulator-schedule-without-dp-on-validation.md); the server learning rates of both
  // runs were chosen on the validation split (docs/experiments/2026-12-07-simulator-defaults-on-validation.md).
  seed: 1, pretrainFraction: 0.05, evalUsers: 0, pretrainSeconds: 0, pretrainEpochs: 40, dim: 64, hidden: 64,
  rounds: 500, clientsPerRound: 150, evalEvery: 100, serverLr: 0.02, serverMomentum: 0, dpServerLr: 0.002, dpServerMomentum: 0,
  // DP runs: 100 rounds of 2,000 clients. The noise is what devices accept under their default privacy policy (DEFAULT_POLICY):
  // each adds z = 5 itself, clips to C = 1, and stops at ε 8 against the aggregator at δ 10⁻¹⁰; at that noise a
  // server step of η 0.02 (chosen earlier for central noise) takes the model below its start, η 0.002 does not
  // (the record above). The schedule's shape at that budget (against 200 rounds of 1,000) and the device recipe's
  // frozen tensors and dropout were chosen on the validation split too
  // (docs/experiments/2026-12-07-simulator-schedule-and-recipe-on-validation.md). Central noise (`--noise
  // central`) is a research setting devices refuse by default; its records pass their own learning rate.
  dpRounds: 100, dpClientsPerRound: 2000, dpServerDecay: 0,
  epsilon: DEFAULT_POLICY.epsilonBudget, delta: DEFAULT_POLICY.delta, noise: ['local'], localZ: DEFAULT_POLICY.minNoiseMultiplier, epsilonPerRound: DEFAULT_POLICY.epsilonPerRound,
  // Secure aggregation with the distributed discrete Gaussian (`--noise ddg`, ddg.ts): the device policy's 20 bits
  // (DEFAULT_SECAGG_POLICY; 21,120 bytes for the trained d = 8,448, and against 15 bits on the validation split in
  // docs/experiments/2026-12-07-secagg-20-bits.md); the honest cohort assumes 30 % of a round's devices
  // drop out and 5 % collude with the aggregator (SecAgg+'s DEFAULT_TARGETS); σ per device is calibrated so that
  // the budget allows the uploads a device makes over the DP schedule, and the minimum cohort is the expected one
  // less three standard deviations (auto, ddg.ts).
  ddgBits: DEFAULT_SECAGG_POLICY.bits, ddgUploads: 'auto', ddgMinCohort: 'auto', ddgDropout: 0.3, ddgColluding: 0.05, secaggDevices: 0, split: 'test', participation: 'poisson',
  clip: DEFAULT_POLICY.clipBound, centralEpochs: 5, centralSeconds: 0, centralUsers: 0, serverOpt: 'adam', adamTau: 1e-6, adamBiasCorrection: true, serverWarmup: 0, serverDecay: 0,
  // The devices' recipe is the one the aggregator announces by default (DEFAULT_RECIPE), so the simulation
  // measures what real devices run. It leaves the event and gap embeddings untrained
  // (docs/experiments/2026-12-02-frozen-input-embeddings.md).
  localEpochs: DEFAULT_RECIPE.epochs, clientLr: DEFAULT_RECIPE.learningRate, localNegatives: DEFAULT_RECIPE.negatives,
  virtualBatch: DEFAULT_RECIPE.virtualBatch, localDropout: DEFAULT_RECIPE.dropout, localFrozen: [...DEFAULT_RECIPE.frozen],
  // Secure-aggregation rounds announce their own recipe (DEFAULT_SECAGG_RECIPE), and the ddg runs use it.
  ddgFrozen: [...DEFAULT_SECAGG_RECIPE.frozen],
};

export const QUICK: Partial<SimOptions> = {
  // Bounded by epochs, not seconds, so a quick run gives the same figures on any machine for a seed. One
  // pretraining epoch: a weaker start than the full run's, trained in seconds.
  // 150 clients per round and centralised baselines on 5,000 of the federated users keep it under 5 minutes on
  // 2 cores (docs/experiments/2026-12-03-attribute-transform.md, `--quick` with spec v3).
  evalUsers: 1000, pretrainSeconds: 0, pretrainEpochs: 1, rounds: 30, clientsPerRound: 150, evalEvery: 15,
  dpRounds: 30, dpClientsPerRound: 150, dpServerDecay: 0,
  centralEpochs: 1, centralSeconds: 0, centralUsers: 5000,
};

/** Usage text; the defaults it states are read from FULL and QUICK, so a default is changed in one place. */
export const USAGE = `usage: perch simulate [--data DIR] [--quick] [--seed N] [--plot FILE.html] [options]

  --data DIR              dataset directory with Beauty.txt and Beauty_item2attributes.json
                          (default: ../shared/data/amazon-beauty from the repository root)
  --events EXPORT         a shop's analytics export instead (GA4 BigQuery export, Segment / RudderStack
                          warehouse: docs/onboarding.md); each user (all their sessions) is one simulated device
  --catalog FEED          the shop's Merchant Center feed describing the export's items
  --quick                 reduced run (fewer users evaluated, shorter training, fewer rounds): < 5 min on 2 cores
  --seed N                integer seed (default ${FULL.seed}): runs with the same seed are identical
  --plot FILE             write accuracy and ε against rounds as a self-contained HTML/SVG file
  --rounds N              rounds of the run without DP (default ${FULL.rounds})
  --clients-per-round N   expected clients per round without DP (default ${FULL.clientsPerRound}; Poisson sampling, q = N / clients)
  --local-epochs N        local passes over the device's own sequence per round (default ${FULL.localEpochs})
  --client-lr X           client SGD learning rate (default ${FULL.clientLr}: one step's delta is the gradient)
  --local-negatives N     sampled negatives per local step (default ${FULL.localNegatives}, as the trainer)
  --virtual-batch N       stand-ins for a trainer batch's other targets in the local loss (default ${FULL.virtualBatch}; 0 = none)
  --local-dropout X       dropout of the local loss (default ${FULL.localDropout})
  --local-frozen LIST     shared dense tensors the devices do not train, comma-separated, or none
                          (default ${FULL.localFrozen.join(',')})
  --server-lr X           server learning rate, runs without DP (default ${FULL.serverLr}; with sgdm, 1 = FedAvg)
  --server-momentum X     server momentum (sgdm only; 0 = plain FedAvg), runs without DP
  --server-opt sgdm|adam  server optimiser: adam (FedAdam, Reddi et al. 2021, default; the learning rates are
                          Adam's step sizes) or sgdm (FedAvg with momentum)
  --adam-tau X            FedAdam's τ (default ${FULL.adamTau.toExponential()})
  --adam-bias-correction on|off
                          correct FedAdam's moments for their zero start (Kingma & Ba; default ${FULL.adamBiasCorrection ? 'on' : 'off'}; off is
                          Reddi et al.'s FedAdam)
  --server-warmup N       rounds of linear warm-up of the server learning rate (default ${FULL.serverWarmup})
  --server-decay N        rounds over which the server learning rate decays linearly to 10 % (default ${FULL.serverDecay}${FULL.serverDecay === 0 ? ' = none' : ''})
  --dp-rounds N           rounds of the DP runs (their noise is calibrated so that N rounds fit the ε budget;
                          default ${FULL.dpRounds}, --quick ${QUICK.dpRounds})
  --dp-clients-per-round N
                          expected clients per round of the DP runs (central noise in the mean shrinks as 1/N)
  --dp-server-lr X        server learning rate of the DP runs (default ${FULL.dpServerLr})
  --dp-server-momentum X  server momentum of the DP runs
  --dp-server-decay N     rounds over which the DP runs' server learning rate decays linearly to 10 % (0 = none)
  --epsilon X             per-device ε budget (default ${FULL.epsilon}; local noise: against the aggregator, as devices count it)
  --delta X               δ at which ε is stated (default ${FULL.delta.toExponential()})
  --noise LIST            DP noise placement(s), comma-separated: local (each device adds N(0,(zC)²) itself, the SDK's
                          pipeline under its policy), central (the server adds noise to the mean, DP-FedAvg; a
                          research setting devices refuse by default) and/or ddg (below); the first is reported
                          as federated_dp
                          (default ${FULL.noise.join(',')})
  --noise ddg             secure aggregation with the distributed discrete Gaussian (Kairouz, Liu & Steinke 2021):
                          each device clips to C, rotates, rounds to the grid γZ, adds its share of discrete
                          Gaussian noise and reduces mod 2^bits; the server decodes only the modular sum (masks
                          cancel exactly, so they are skipped). ε against the aggregator counts the noise of the
                          minimum honest cohort, composed over each device's uploads, with no sampling assumption
  --ddg-frozen LIST       shared dense tensors the devices do not train in the ddg runs, comma-separated, or none
                          (default the secure-aggregation recipe's: all but ${SECAGG_TRAINED.join(', ')}); the masked
                          vector carries only the trained ones
  --ddg-bits N            bits per value of the ddg runs (default ${FULL.ddgBits}, the device policy's; 64 KB hold d ≤ 524,288 / bits)
  --ddg-uploads N|auto    uploads a device's budget must allow; σ is calibrated to it (default ${FULL.ddgUploads}:
                          ⌈qR + 3√(qR)⌉ over the DP runs' R rounds), and raised further where one upload would
                          cost more than --epsilon-per-round
  --ddg-min-cohort N|auto smallest cohort a ddg round is released from; a smaller one is not (default ${FULL.ddgMinCohort}:
                          ⌊K − 3√K⌋ for K expected clients). The honest cohort n is it × (1 − dropout − colluding)
  --ddg-dropout X         fraction of a cohort assumed to drop out (default ${FULL.ddgDropout})
  --ddg-colluding X       fraction of a cohort assumed to collude with the aggregator (default ${FULL.ddgColluding})
  --secagg-devices N      in the first released ddg round, N devices (≥ 3) run the real SecAgg+ protocol with
                          masking on their ddg vectors; the run checks that the unmasked sum is bit-identical
                          and reports its wall time and bytes per device (default ${FULL.secaggDevices} = off)
  --participation MODE    who takes part in the federated runs' rounds: poisson (each device flips a coin with
                          q = N / clients, the default) or cyclic (the devices in a fixed shuffled order, the next N
                          each round; every device once per pass); the accounting assumes neither
  --split val|test        held-out event every figure is measured on: test (each user's last event) or val (the
                          second-to-last; training data is the same, the events before it); default ${FULL.split}.
                          Make choices on val. (The centralised baselines pick their best epoch on val.)
  --local-z X             noise multiplier devices add in local-noise runs (default ${FULL.localZ}, the policy's minimum)
  --epsilon-per-round X   largest ε one upload may cost against the aggregator (default ${FULL.epsilonPerRound})
  --clip X|auto           client clip bound C (default ${FULL.clip}, the policy's), or auto = median local-update norm on
                          pretraining users
  --pretrain-fraction X   share of users used for pretraining (default ${FULL.pretrainFraction})
  --eval-users N          federated users evaluated (0 = all)
  --eval-every K          evaluate the run without DP every K rounds (DP runs: as many times, spread over their rounds)
  --pretrain-seconds S    pretraining time budget (default ${FULL.pretrainSeconds} = none; when reached, results depend on machine speed)
  --pretrain-epochs N     pretraining epochs at most (early stopping may end sooner)
  --central-epochs N      epochs of the centralised baselines
  --central-seconds S     time budget of each centralised baseline (default ${FULL.centralSeconds} = none; when reached, results
                          depend on machine speed)
  --central-users N       federated users the centralised baselines train on, a seeded random subset
                          (default ${FULL.centralUsers}${FULL.centralUsers === 0 ? ' = all' : ''}; --quick ${QUICK.centralUsers})`;

type Kind = 'int' | 'num';
const NUMERIC: Record<string, [keyof SimOptions, Kind, number]> = {
  seed: ['seed', 'int', 0], rounds: ['rounds', 'int', 1], 'clients-per-round': ['clientsPerRound', 'int', 1],
  'local-epochs': ['localEpochs', 'int', 1], 'client-lr': ['clientLr', 'num', 0], 'server-lr': ['serverLr', 'num', 0],
  'server-momentum': ['serverMomentum', 'num', 0], 'dp-server-lr': ['dpServerLr', 'num', 0], 'dp-server-momentum': ['dpServerMomentum', 'num', 0], 'dp-rounds': ['dpRounds', 'int', 1], 'dp-clients-per-round': ['dpClientsPerRound', 'int', 1], 'dp-server-decay': ['dpServerDecay', 'int', 0],
  epsilon: ['epsilon', 'num', 0], delta: ['delta', 'num', 0], 'local-z': ['localZ', 'num', 0], 'epsilon-per-round': ['epsilonPerRound', 'num', 0], 'pretrain-fraction': ['pretrainFraction', 'num', 0],
  'eval-users': ['evalUsers', 'int', 0], 'eval-every': ['evalEvery', 'int', 1], 'pretrain-seconds': ['pretrainSeconds', 'int', 0], 'pretrain-epochs': ['pretrainEpochs', 'int', 1],
  'central-epochs': ['centralEpochs', 'int', 0], 'central-seconds': ['centralSeconds', 'int', 0], 'central-users': ['centralUsers', 'int', 0], 'local-negatives': ['localNegatives', 'int', 1], 'virtual-batch': ['virtualBatch', 'int', 0], 'local-dropout': ['localDropout', 'num', 0], 'server-warmup': ['serverWarmup', 'int', 0], 'server-decay': ['serverDecay', 'int', 0], 'adam-tau': ['adamTau', 'num', 0],
  'ddg-bits': ['ddgBits', 'int', 2], 'ddg-dropout': ['ddgDropout', 'num', 0], 'ddg-colluding': ['ddgColluding', 'num', 0], 'secagg-devices': ['secaggDevices', 'int', 0],
};

/** Every option the parser accepts (without the leading --), numeric or not. */
export const OPTIONS: readonly string[] = [...Object.keys(NUMERIC), 'data', 'events', 'catalog', 'plot', 'noise', 'clip', 'server-opt', 'adam-bias-correction', 'local-frozen', 'ddg-frozen', 'ddg-uploads', 'ddg-min-cohort', 'split', 'participation'];

export interface SimArgs { options: SimOptions; data?: string; events?: string; catalog?: string; plot?: string; quick: boolean }

/** Parses `simulate …` arguments (the command word first). Throws UsageError on anything wrong. */
export function parseSimArgs(argv: string[]): SimArgs {
  const [command, ...rest] = argv;
  if (command !== 'simulate') throw new UsageError(command ? `unknown command "${command}"` : '');
  const flags = parseCommandLine(rest, OPTIONS, ['quick']);
  const quick = flags.has('quick');
  const o: SimOptions = { ...FULL, ...(quick ? QUICK : {}) };
  const set = o as unknown as Record<string, number>;
  for (const [flag, [key, kind, min]] of Object.entries(NUMERIC)) {
    const n = numberOf(flags, flag, kind === 'int' ? intAtLeast(min) : (x) => x >= min, `${kind === 'int' ? 'an integer' : 'a number'} ≥ ${min}`);
    if (n !== undefined) set[key] = n;
  }
  if (!(o.pretrainFraction > 0 && o.pretrainFraction < 1)) throw new UsageError('--pretrain-fraction must be in (0, 1)');
  if (!(o.delta > 0 && o.delta < 1)) throw new UsageError('--delta must be in (0, 1)');
  if (!(o.epsilon > 0)) throw new UsageError('--epsilon must be > 0');
  if (o.serverMomentum >= 1 || o.dpServerMomentum >= 1) throw new UsageError('server momentum must be < 1');
  if (o.localDropout >= 1) throw new UsageError('--local-dropout must be < 1');
  for (const [flag, key] of [['local-frozen', 'localFrozen'], ['ddg-frozen', 'ddgFrozen']] as const) {
    const text = flags.get(flag);
    if (text === undefined) continue;
    const names = frozenFromFlag(text);
    const bad = recipeProblems({ ...DEFAULT_RECIPE, frozen: names });
    if (bad.length > 0) throw new UsageError(`--${flag}: ${bad.join('; ')}`);
    o[key] = names;
  }
  const noise = flags.get('noise');
  if (noise !== undefined) {
    const modes = noise.split(',');
    if (modes.length === 0 || modes.some((m) => m !== 'local' && m !== 'central' && m !== 'ddg') || new Set(modes).size !== modes.length) {
      throw new UsageError(`--noise must list local, central and/or ddg, each once, got "${noise}"`);
    }
    o.noise = modes as SimOptions['noise'];
  }
  const opt = flags.get('server-opt');
  if (opt !== undefined) {
    if (opt !== 'sgdm' && opt !== 'adam') throw new UsageError(`--server-opt must be sgdm or adam, got "${opt}"`);
    o.serverOpt = opt;
  }
  const bc = flags.get('adam-bias-correction');
  if (bc !== undefined) {
    if (bc !== 'on' && bc !== 'off') throw new UsageError(`--adam-bias-correction must be on or off, got "${bc}"`);
    o.adamBiasCorrection = bc === 'on';
  }
  const intOrAuto = (flag: string, min: number): number | 'auto' | undefined => {
    const v = flags.get(flag);
    if (v === undefined || v === 'auto') return v;
    const n = Number(v);
    if (!(Number.isInteger(n) && n >= min)) throw new UsageError(`--${flag} must be an integer ≥ ${min} or auto, got "${v}"`);
    return n;
  };
  o.ddgUploads = intOrAuto('ddg-uploads', 1) ?? o.ddgUploads;
  o.ddgMinCohort = intOrAuto('ddg-min-cohort', 1) ?? o.ddgMinCohort;
  if (o.ddgBits > 32) throw new UsageError(`--ddg-bits must be at most 32, got ${o.ddgBits}`);
  if (!(o.ddgDropout + o.ddgColluding < 1)) throw new UsageError('--ddg-dropout and --ddg-colluding must sum below 1');
  if (o.secaggDevices > 0 && o.secaggDevices < 3) throw new UsageError(`--secagg-devices must be 0 or at least 3, got ${o.secaggDevices}`);
  if (o.secaggDevices > 0 && !o.noise.includes('ddg')) throw new UsageError('--secagg-devices needs a ddg run (--noise ddg)');
  const split = flags.get('split');
  if (split !== undefined) {
    if (split !== 'val' && split !== 'test') throw new UsageError(`--split must be val or test, got "${split}"`);
    o.split = split;
  }
  const part = flags.get('participation');
  if (part !== undefined) {
    if (part !== 'poisson' && part !== 'cyclic') throw new UsageError(`--participation must be poisson or cyclic, got "${part}"`);
    o.participation = part;
  }
  const clip = flags.get('clip');
  if (clip !== undefined) {
    const c = Number(clip);
    if (clip !== 'auto' && !(Number.isFinite(c) && c > 0)) throw new UsageError(`--clip must be a positive number or auto, got "${clip}"`);
    o.clip = clip === 'auto' ? 'auto' : c;
  }
  const events = flags.get('events'), catalog = flags.get('catalog');
  if (events !== undefined && flags.get('data') !== undefined) throw new UsageError('--data and --events are two sources: give one');
  if (catalog !== undefined && events === undefined) throw new UsageError('--catalog describes the items of --events');
  return {
    options: o, data: flags.get('data'), plot: flags.get('plot'), quick,
    ...(events !== undefined ? { events } : {}), ...(catalog !== undefined ? { catalog } : {}),
  };
}
