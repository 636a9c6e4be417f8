/**
 * The federated half of the worker contract: what the page tells the worker (mode, consent, privacy
 * signals, whether the page is idle or hidden) and what the worker reports back for `audit()` (the
 * transparency log of outbound requests and the privacy accountant's figures). Plain cloneable data only.
 */
import { DEFAULT_POLICY, readPolicy, type PrivacyPolicy } from '@perch/learn/privacy';
import type { AuditPrivacy, ConsentValue, LocalTrainingReport, OutboundLogEntry, RoundRefusal } from '../../types.js';

/** What the page is doing: the worker trains only while it is `idle` or `hidden`. */
export type PageActivity = 'active' | 'idle' | 'hidden';

/** Tunables of the federated client (defaults in `federatedDefaults`). */
export interface FederatedTuning {
  /** The privacy policy the page pins (`@perch/model` privacy/policy.ts): the aggregator cannot change it. */
  policy: PrivacyPolicy;
  /** Minimum time between two looks at the aggregator's round (default 5 min). */
  minIntervalMs: number;
  /** Quiet time without user input before the page counts as idle (default 5 s). */
  idleAfterMs: number;
  /**
   * Upper bound of a uniformly random wait between local training and the upload (default 30 s, never more
   * than half the time left in the round), so the upload time says less about when the page went idle.
   */
  maxUploadDelayMs: number;
}

/** The page's view, sent on start, on every consent change and whenever the page's activity changes. */
export interface FederatedHint {
  mode: 'on-device' | 'federated';
  /** Absolute aggregator URL (no trailing slash), or null when none is configured. */
  aggregatorUrl: string | null;
  /** Effective `training` consent (GPC and DNT already forced it to 'denied'). */
  training: ConsentValue;
  gpc: boolean;
  dnt: boolean;
  page: PageActivity;
  tuning: FederatedTuning;
  /** The page's pinned model keys, log and witness (`readTrust`): without them the device does not train. */
  trust?: import('../model-trust.js').ModelTrust | null;
}

/** What `audit()` shows of the federated side. */
export interface FederatedStatus {
  outbound: OutboundLogEntry[];
  privacy: AuditPrivacy;
  /** Rounds this device refused under its policy, newest last. */
  refusals: RoundRefusal[];
  /** Why the device is not training right now, or 'training' / 'idle-wait'. Diagnostic only. */
  state: string;
  /** Rounds this device took part in (uploads acknowledged by the aggregator). */
  uploads: number;
  /** This worker's last local training (memory only). */
  lastTraining?: LocalTrainingReport;
}

/** Methods the worker adds for federated learning; absent in the main-thread fallback (never trains). */
export interface PerchFederatedApi {
  /** Latest page view; the worker decides whether (and when) to take part in a round. */
  federatedHint(hint: FederatedHint): Promise<void>;
  federatedStatus(): Promise<FederatedStatus>;
}

export const federatedDefaults: FederatedTuning = {
  policy: DEFAULT_POLICY, minIntervalMs: 5 * 60_000, idleAfterMs: 5_000, maxUploadDelayMs: 30_000,
};

/**
 * `audit().privacy` before the federated client has said anything (no worker, on-device mode): nothing spent,
 * against the default policy. Plain numbers, so the script-tag loader does not carry the policy code; a test
 * keeps them equal to `DEFAULT_POLICY`.
 */
export const noPrivacySpent = (): AuditPrivacy => ({ epsilonServer: 0, epsilonPublished: 0, epsilonBudget: 8, delta: 1e-10, uploads: 0 });

/** Why the device must not train now, or null when every page-side condition holds. Pure. */
export function trainingBlocked(h: FederatedHint | null): string | null {
  if (!h) return 'no page hint yet';
  if (h.mode !== 'federated') return 'mode on-device';
  if (!h.aggregatorUrl) return 'no aggregatorUrl';
  if (h.gpc) return 'Global Privacy Control';
  if (h.dnt) return 'Do Not Track';
  if (h.training !== 'granted') return `training consent ${h.training}`;
  if (h.page === 'active') return 'page active';
  return null;
}

const num = (v: unknown, lo: number, hi: number, dflt: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : dflt;

/** The shop's `federated` options, bounded (anything unreadable or out of type falls back to the default). */
export function readTuning(raw: unknown): FederatedTuning {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const get = (k: string): unknown => { try { return o[k]; } catch { return undefined; } };
  const d = federatedDefaults;
  return {
    policy: readPolicy(raw),
    minIntervalMs: num(get('minIntervalMs'), 100, 7 * 24 * 3600_000, d.minIntervalMs),
    idleAfterMs: num(get('idleAfterMs'), 0, 3600_000, d.idleAfterMs),
    maxUploadDelayMs: num(get('maxUploadDelayMs'), 0, 3600_000, d.maxUploadDelayMs),
  };
}
