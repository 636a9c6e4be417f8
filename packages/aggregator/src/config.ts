/** Aggregator configuration: defaults, and the command line / environment reader used by server.ts. */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { ModelDims } from '@perch/model/spec';
import { DEFAULT_RECIPE, DEFAULT_SECAGG_RECIPE, recipeProblems, type LocalRecipe, frozenFromFlag } from '@perch/learn/client';
import { DEFAULT_POLICY, DEFAULT_SECAGG_POLICY } from '@perch/learn/privacy';
import type { AggregationRule } from '@perch/learn/server';
import { centralNoiseProblem } from '@perch/learn/server';

export interface RoundPolicy {
  /** A round needs at least this many accepted updates to publish; fewer at the deadline → round fails. */
  minClients: number;
  /**
   * The expected number of clients per round (set it to q·N). A round without DP noise closes as soon as this
   * many updates are accepted. A DP round (local or central noise) uses it as the fixed denominator of the
   * released mean and runs to its deadline unless `closeAtTarget` (aggregate/release.ts).
   */
  targetClients: number;
  /**
   * DP rounds only: close once `targetClients` updates are accepted instead of at the deadline. Off by default:
   * an early close makes the aggregated set depend on arrival order (one more device can push another one
   * out), which the amplified ε does not cover (docs/threat-model.md). For tests and demos that need rounds to
   * end on a count.
   */
  closeAtTarget: boolean;
  /** Hard cap on updates per round (memory/time bound for robust rules). */
  maxUpdatesPerRound: number;
  /** Round length in ms. */
  durationMs: number;
  /** L2 clip bound C clients apply before noising. */
  clipBound: number;
  /** Local noise multiplier z clients use (std z·C per coordinate). */
  noiseMultiplier: number;
  /** Probability with which a device decides (privately) to take part in a round. */
  samplingProbability: number;
  /** Cap on the client weight (local example count). */
  maxClientWeight: number;
  /** Uploads with norm above bound × tolerance are refused (422); below, clipped to the bound. */
  normTolerance: number;
  rule: AggregationRule;
  trimFraction: number;
  /** Central noise multiplier on the aggregate (0 = off). FedAvg only. */
  centralNoiseMultiplier: number;
  /** Server learning rate applied to the aggregated delta (η of the server optimiser). */
  serverLearningRate: number;
  /** Server optimiser: 'sgd' (FedAvg, FedAvgM with momentum) or 'adam' (FedAdam). See aggregate/server-optimizer.ts. */
  serverOptimizer: 'sgd' | 'adam';
  /** β of 'sgd' (0 = plain FedAvg). */
  serverMomentum: number;
  /** τ of 'adam'. */
  adamTau: number;
  /** Bias correction of 'adam''s moments. */
  adamBiasCorrection: boolean;
  /** Rounds of linear learning-rate warm-up (0 = none). */
  serverWarmupRounds: number;
  /** Rounds over which the learning rate decays linearly to 10 % (0 = none). */
  serverDecayRounds: number;
  /** The local training recipe announced with every round; the server optimiser is tuned to it. */
  local: LocalRecipe;
  /** Secure aggregation (SecAgg+ over the distributed discrete Gaussian) for every new round; null = plain rounds. */
  secagg: SecAggPolicy | null;
}

/**
 * How the aggregator runs secure-aggregation rounds (docs/secure-aggregation.md). What is not fixed here comes
 * from the libraries' parameter choice when a round opens (secagg/params.ts): k and t from `chooseParams` for
 * `targetClients` devices, γ from `gammaForBits` for `maxCohort` devices, σ from `calibrateDdgSigma`.
 */
export interface SecAggPolicy {
  /** Bits per value: sums live in Z_(2^bits). The devices' default (20) keeps up to 26,214 values under 64 KB. */
  bits: number;
  /** Fixed neighbour degree and Shamir threshold (both or neither). */
  k?: number;
  t?: number;
  /** Smallest cohort at every step; default the device's default secagg policy's (`DEFAULT_SECAGG`). */
  minCohort?: number;
  /** Devices admitted at advertise; default ⌈target + 4√target⌉ (at most `maxUpdatesPerRound`). */
  maxCohort?: number;
  /** Length of each stage; advertise runs for the round length (`durationMs`) unless given here. */
  stageMs: { advertise?: number; shareKeys: number; maskedInput: number; unmask: number };
  /** How long a step's POST is held open waiting for its stage to close (bounded by the request timeout). */
  longPollMs: number;
  /** Per-device noise σ (model units); default: calibrated to `epsilonPerRound` for the honest cohort. */
  sigma?: number;
  /** ε of one round against the aggregator at δ, for the honest cohort ⌊minCohort·(1 − dropout − colluding)⌋. */
  epsilonPerRound: number;
  delta: number;
  dropout: number;
  colluding: number;
}

/** What a device's default secure-aggregation policy (`DEFAULT_SECAGG_POLICY`) accepts: its cohort, bits and ε. */
export const DEFAULT_SECAGG: SecAggPolicy = {
  bits: DEFAULT_SECAGG_POLICY.bits, minCohort: DEFAULT_SECAGG_POLICY.minCohort,
  stageMs: { shareKeys: 60_000, maskedInput: 120_000, unmask: 60_000 }, longPollMs: 20_000,
  epsilonPerRound: DEFAULT_SECAGG_POLICY.epsilonPerRound, delta: DEFAULT_POLICY.delta,
  dropout: DEFAULT_SECAGG_POLICY.dropoutFraction, colluding: DEFAULT_SECAGG_POLICY.colludingFraction,
};

export interface AggregatorConfig {
  dbPath: string;
  /**
   * `--database-url postgres://…`: keep everything in that Postgres database instead of the SQLite file, so that
   * several instances can share it (store/postgres.ts). Absent → the embedded SQLite store at `dbPath`.
   */
  databaseUrl?: string;
  /**
   * This instance among several on one database: `id` names its closing leases (unique per live instance; an
   * instance restarted with the same id resumes its own lease at once), `leaseMs` their length, `pollMs` the
   * period at which it watches the store for rounds other instances opened or abandoned. `holdLeaseMs` is fault
   * injection for tests: the closer waits this long after taking its lease, so that a test can kill it there.
   */
  instance?: { id?: string; leaseMs?: number; pollMs?: number; holdLeaseMs?: number };
  /** `--model DIR`; absent → built-in tiny deterministic model with `seedDims`. */
  modelDir?: string;
  seedDims?: ModelDims;
  round: RoundPolicy;
  /** Allowed CORS origins ('*' allows any). */
  corsOrigins: string[];
  rateLimit: { max: number; timeWindowMs: number };
  /** Seed for central noise (tests); absent → crypto randomness. */
  noiseSeed?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

/**
 * The defaults announce what devices accept under their default privacy policy (`DEFAULT_POLICY` of
 * @perch/learn/privacy, policy.ts: device noise z ≥ 5, C = 1, a cohort of at least 10, the default recipe's
 * tensors); a round that asks for less is refused by every device that pins that policy.
 */
export const DEFAULT_ROUND: RoundPolicy = {
  minClients: DEFAULT_POLICY.minCohort, targetClients: 100, maxUpdatesPerRound: 5000, durationMs: 10 * 60_000,
  clipBound: DEFAULT_POLICY.clipBound, noiseMultiplier: DEFAULT_POLICY.minNoiseMultiplier, samplingProbability: 0.1, maxClientWeight: 32, normTolerance: 1.5,
  rule: 'fedavg', trimFraction: 0.1, centralNoiseMultiplier: 0, closeAtTarget: false,
  // Bias-corrected FedAdam: the server optimiser the simulator's sweeps chose, with the step it used without DP
  // (docs/experiments/2026-12-01-federated-start-and-server-optimiser.md, 2026-12-02-federated-virtual-batch.md).
  // Not tuned for rounds under the default device policy: there a round's mean is mostly noise, and Adam's
  // per-coordinate steps move the model along it (docs/experiments/2026-12-06-dp-under-device-policy.md).
  serverOptimizer: 'adam', serverLearningRate: 0.005, serverMomentum: 0, adamTau: 1e-6, adamBiasCorrection: true, serverWarmupRounds: 0, serverDecayRounds: 0,
  local: { ...DEFAULT_RECIPE },
  secagg: null,
};

/** Throws on a policy that cannot work (caught at start-up rather than at the first round close). */
export function checkPolicy(p: RoundPolicy): RoundPolicy {
  const bad = (msg: string): never => { throw new Error(`round policy: ${msg}`); };
  if (!['fedavg', 'median', 'trimmed-mean'].includes(p.rule)) bad(`unknown rule "${p.rule}"`);
  if (!(Number.isInteger(p.minClients) && p.minClients >= 1)) bad('minClients must be an integer ≥ 1');
  if (!(p.targetClients >= p.minClients)) bad('targetClients must be ≥ minClients');
  if (!(p.maxUpdatesPerRound >= p.targetClients)) bad('maxUpdates must be ≥ targetClients');
  if (!(p.durationMs > 0)) bad('round length must be > 0');
  if (!(p.clipBound > 0)) bad('clip bound must be > 0');
  if (!(p.noiseMultiplier >= 0 && p.centralNoiseMultiplier >= 0)) bad('noise multipliers must be ≥ 0');
  if (!(p.samplingProbability > 0 && p.samplingProbability <= 1)) bad('sampling probability must be in (0, 1]');
  if (!(p.normTolerance >= 1)) bad('norm tolerance must be ≥ 1');
  if (!(p.trimFraction >= 0 && p.trimFraction < 0.5)) bad('trim fraction must be in [0, 0.5)');
  const noiseProblem = centralNoiseProblem(p.rule, p.centralNoiseMultiplier); // central DP is for FedAvg only
  if (noiseProblem) bad(noiseProblem);
  if (!(Number.isInteger(p.maxClientWeight) && p.maxClientWeight >= 1)) bad('maxClientWeight must be an integer ≥ 1');
  if (p.serverOptimizer !== 'sgd' && p.serverOptimizer !== 'adam') bad(`unknown server optimiser "${p.serverOptimizer}"`);
  if (!(p.serverLearningRate > 0)) bad('server learning rate must be > 0');
  if (!(p.serverMomentum >= 0 && p.serverMomentum < 1)) bad('server momentum must be in [0, 1)');
  if (!(p.adamTau > 0)) bad('adam τ must be > 0');
  if (!(Number.isInteger(p.serverWarmupRounds) && p.serverWarmupRounds >= 0)) bad('server warm-up must be an integer ≥ 0');
  if (!(Number.isInteger(p.serverDecayRounds) && p.serverDecayRounds >= 0)) bad('server decay must be an integer ≥ 0');
  const local = recipeProblems(p.local);
  if (local.length > 0) bad(local.join('; '));
  const s = p.secagg;
  if (s) {
    if (!(Number.isInteger(s.bits) && s.bits >= 2 && s.bits <= 32)) bad('secagg bits must be an integer in [2, 32]');
    if ((s.k === undefined) !== (s.t === undefined)) bad('secagg k and t are set together');
    if (s.k !== undefined && !(Number.isInteger(s.k) && s.k >= 2 && s.k % 2 === 0 && s.k <= 254)) bad('secagg k must be even, in [2, 254]');
    if (s.t !== undefined && !(Number.isInteger(s.t) && s.t >= 2 && s.t <= s.k!)) bad('secagg t must be in [2, k]');
    if (s.minCohort !== undefined && !(Number.isInteger(s.minCohort) && s.minCohort >= 3)) bad('secagg min cohort must be an integer ≥ 3');
    if (s.maxCohort !== undefined && !(Number.isInteger(s.maxCohort) && s.maxCohort >= (s.minCohort ?? p.minClients))) bad('secagg max cohort must be ≥ its min cohort');
    if (p.minClients < 3 && s.minCohort === undefined) bad('secure aggregation needs a min cohort ≥ 3');
    for (const v of [s.stageMs.shareKeys, s.stageMs.maskedInput, s.stageMs.unmask, s.stageMs.advertise ?? 1]) if (!(v > 0)) bad('secagg stage lengths must be > 0');
    if (!(s.longPollMs >= 0 && s.longPollMs <= 25_000)) bad('secagg long poll must be in [0, 25 s] (the server\'s request timeout is 30 s)');
    if (s.sigma !== undefined && !(s.sigma >= 0)) bad('ddg sigma must be ≥ 0');
    if (p.rule !== 'fedavg' || p.centralNoiseMultiplier > 0) bad('secure aggregation releases a FedAvg sum: rule fedavg, no central noise');
  }
  return p;
}

/** Round overrides; `secagg` may be partial (`{}` turns secure aggregation on with its defaults). */
export type RoundOverrides = Partial<Omit<RoundPolicy, 'secagg'>> & { secagg?: (Partial<Omit<SecAggPolicy, 'stageMs'>> & { stageMs?: Partial<SecAggPolicy['stageMs']> }) | null };

export function defaultConfig(over: Partial<Omit<AggregatorConfig, 'round'>> & { round?: RoundOverrides } = {}): AggregatorConfig {
  return {
    dbPath: over.dbPath ?? 'perch-aggregator.db',
    modelDir: over.modelDir,
    seedDims: over.seedDims,
    // Secure aggregation trains the secagg recipe's tensors unless the caller sets a recipe (DEFAULT_SECAGG_RECIPE).
    round: checkPolicy({ ...DEFAULT_ROUND, ...(over.round?.secagg ? { local: { ...DEFAULT_SECAGG_RECIPE } } : {}), ...over.round, secagg: over.round?.secagg ? { ...DEFAULT_SECAGG, ...over.round.secagg, stageMs: { ...DEFAULT_SECAGG.stageMs, ...over.round.secagg.stageMs } } : null }),
    corsOrigins: over.corsOrigins ?? ['http://127.0.0.1:5173', 'http://localhost:5173'],
    rateLimit: over.rateLimit ?? { max: 120, timeWindowMs: 60_000 },
    noiseSeed: over.noiseSeed,
    now: over.now,
    ...(over.databaseUrl ? { databaseUrl: over.databaseUrl } : {}),
    ...(over.instance ? { instance: over.instance } : {}),
  };
}

export interface ServerConfig extends AggregatorConfig {
  host: string;
  port: number;
  /** `--signing-key FILE`: the Ed25519 key file (created if absent); absent → beside the database (signing/key.ts). */
  signingKeyPath?: string;
}

/**
 * `--flag value` pairs override `PERCH_AGG_*` environment variables, which override defaults.
 * Flags: --host --port --db --model --min-clients --target-clients --round-seconds --clip --noise --sampling
 * --server-opt sgd|adam --server-lr --server-momentum --adam-tau --adam-bias-correction on|off --server-warmup --server-decay
 * --rule --trim --central-noise --close-at-target on|off --cors (comma list) --rate-max --rate-window-ms --dims d,h,items,attrs,cats
 * --local-epochs --local-lr --local-negatives --local-virtual-batch --local-dropout --local-frozen (comma list
 * or none) (the devices' recipe)
 * --secagg on|off --secagg-bits --secagg-k --secagg-t --secagg-min-cohort --secagg-max-cohort
 * --secagg-stage-seconds a,s,m,u --secagg-long-poll-ms --ddg-sigma --ddg-epsilon (secure aggregation)
 * --database-url postgres://… --instance-id --lease-ms --poll-ms (several instances on one Postgres database;
 * --hold-lease-ms is fault injection for tests)
 */
/** Every flag the server accepts (each takes a value); the same names, upper-cased, as `PERCH_AGG_*` variables. */
export const SERVER_FLAGS = [
  'host', 'port', 'db', 'model', 'signing-key', 'min-clients', 'target-clients', 'max-updates', 'round-seconds', 'clip', 'noise', 'sampling',
  'rule', 'trim', 'central-noise', 'close-at-target', 'server-opt', 'server-lr', 'server-momentum', 'adam-tau', 'adam-bias-correction',
  'server-warmup', 'server-decay', 'cors', 'rate-max', 'rate-window-ms', 'dims',
  'local-epochs', 'local-lr', 'local-negatives', 'local-virtual-batch', 'local-dropout', 'local-frozen',
  'secagg', 'secagg-bits', 'secagg-k', 'secagg-t', 'secagg-min-cohort', 'secagg-max-cohort', 'secagg-stage-seconds', 'secagg-long-poll-ms',
  'ddg-sigma', 'ddg-epsilon', 'database-url', 'instance-id', 'lease-ms', 'poll-ms', 'hold-lease-ms',
] as const;

export function parseServerArgs(argv: string[], env: Record<string, string | undefined> = {}): ServerConfig {
  let flags: Record<string, string | undefined>;
  try {
    flags = parseArgs({ args: argv, strict: true, allowPositionals: false, options: Object.fromEntries(SERVER_FLAGS.map((n) => [n, { type: 'string' as const }])) }).values as Record<string, string | undefined>;
  } catch (e) {
    throw new Error((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const get = (name: string): string | undefined => flags[name] ?? env[`PERCH_AGG_${name.toUpperCase().replace(/-/g, '_')}`];
  const num = (name: string): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${v}`);
    return n;
  };
  const onOff = (name: string): boolean | undefined => {
    const v = get(name);
    if (v !== undefined && v !== 'on' && v !== 'off') throw new Error(`--${name} must be on or off, got ${v}`);
    return v === undefined ? undefined : v === 'on';
  };
  const round: RoundOverrides = {};
  const set = <K extends keyof RoundOverrides>(k: K, v: RoundOverrides[K] | undefined): void => { if (v !== undefined) round[k] = v; };
  set('minClients', num('min-clients'));
  set('targetClients', num('target-clients'));
  set('maxUpdatesPerRound', num('max-updates'));
  const secs = num('round-seconds');
  set('durationMs', secs === undefined ? undefined : secs * 1000);
  set('clipBound', num('clip'));
  set('noiseMultiplier', num('noise'));
  set('samplingProbability', num('sampling'));
  set('rule', get('rule') as AggregationRule | undefined);
  set('trimFraction', num('trim'));
  set('centralNoiseMultiplier', num('central-noise'));
  set('closeAtTarget', onOff('close-at-target'));
  set('serverOptimizer', get('server-opt') as RoundPolicy['serverOptimizer'] | undefined);
  set('serverLearningRate', num('server-lr'));
  set('serverMomentum', num('server-momentum'));
  set('adamTau', num('adam-tau'));
  set('serverWarmupRounds', num('server-warmup'));
  set('serverDecayRounds', num('server-decay'));
  const local: Partial<LocalRecipe> = {};
  for (const [flag, key] of [['local-epochs', 'epochs'], ['local-lr', 'learningRate'], ['local-negatives', 'negatives'], ['local-virtual-batch', 'virtualBatch'], ['local-dropout', 'dropout']] as const) {
    const v = num(flag);
    if (v !== undefined) local[key] = v;
  }
  const frozen = get('local-frozen');
  if (frozen !== undefined) local.frozen = frozenFromFlag(frozen);
  if (Object.keys(local).length > 0) round.local = { ...(onOff('secagg') ? DEFAULT_SECAGG_RECIPE : DEFAULT_RECIPE), ...local };
  set('adamBiasCorrection', onOff('adam-bias-correction'));
  if (onOff('secagg')) {
    const stages = get('secagg-stage-seconds')?.split(',').map(Number);
    if (stages && (stages.length !== 4 || stages.some((x) => !Number.isFinite(x)))) throw new Error('--secagg-stage-seconds takes advertise,shareKeys,maskedInput,unmask');
    const sec: NonNullable<RoundOverrides['secagg']> = {};
    const put = <K extends keyof typeof sec>(k: K, v: (typeof sec)[K] | undefined): void => { if (v !== undefined) sec[k] = v; };
    put('bits', num('secagg-bits')); put('k', num('secagg-k')); put('t', num('secagg-t'));
    put('minCohort', num('secagg-min-cohort')); put('maxCohort', num('secagg-max-cohort')); put('longPollMs', num('secagg-long-poll-ms'));
    put('sigma', num('ddg-sigma')); put('epsilonPerRound', num('ddg-epsilon'));
    if (stages) sec.stageMs = { advertise: stages[0]! * 1000, shareKeys: stages[1]! * 1000, maskedInput: stages[2]! * 1000, unmask: stages[3]! * 1000 };
    round.secagg = sec;
  }
  const dimsText = get('dims');
  let seedDims: ModelDims | undefined;
  if (dimsText) {
    const [dim, hidden, numItems, numAttrs, numCategories] = dimsText.split(',').map(Number);
    seedDims = { dim: dim!, hidden: hidden ?? dim!, numItems: numItems ?? 50, numAttrs: numAttrs ?? 10, numCategories: numCategories ?? 5 };
  }
  const databaseUrl = get('database-url');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error('--database-url must be a postgres:// or postgresql:// URL');
  const leaseMs = num('lease-ms'), pollMs = num('poll-ms'), holdLeaseMs = num('hold-lease-ms');
  for (const [name, v] of [['lease-ms', leaseMs], ['poll-ms', pollMs]] as const) if (v !== undefined && !(Number.isInteger(v) && v >= 10)) throw new Error(`--${name} must be an integer ≥ 10`);
  if (holdLeaseMs !== undefined && !(Number.isInteger(holdLeaseMs) && holdLeaseMs >= 0)) throw new Error('--hold-lease-ms must be an integer ≥ 0');
  // On a shared database every live instance needs its own id: host and process unless given.
  const id = get('instance-id') ?? (databaseUrl ? `${hostname()}-${process.pid}` : undefined);
  const inst = Object.fromEntries(Object.entries({ id, leaseMs, pollMs, holdLeaseMs }).filter(([, v]) => v !== undefined)) as NonNullable<AggregatorConfig['instance']>;
  const instance = Object.keys(inst).length > 0 ? inst : undefined;
  const cfg = defaultConfig({
    dbPath: get('db'), modelDir: get('model'), seedDims, round, ...(databaseUrl ? { databaseUrl } : {}), ...(instance ? { instance } : {}),
    corsOrigins: get('cors')?.split(',').map((s) => s.trim()).filter(Boolean),
    rateLimit: { max: num('rate-max') ?? 120, timeWindowMs: num('rate-window-ms') ?? 60_000 },
  });
  const signingKeyPath = get('signing-key');
  return { ...cfg, host: get('host') ?? '127.0.0.1', port: num('port') ?? 8787, ...(signingKeyPath ? { signingKeyPath } : {}) };
}
