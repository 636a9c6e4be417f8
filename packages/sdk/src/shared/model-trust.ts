/**
 * Which model versions the device accepts: the keys the page pins (`modelKeys`), the optional witness of the
 * version log (`modelLog.witnessUrl`) and where the log's leaves are served. The page reads them from its
 * configuration (`readTrust`, in perch-link.js) and sends them with `loadModel` and the federated hint; the
 * worker checks every manifest against them (worker/serve/trust/). Pure; plain cloneable data.
 */
import type { Manifest } from '@perch/model/export';
import type { ModelLogStatus, ModelSignatureStatus } from '../types.js';

export interface ModelTrust {
  /** Pinned public keys (base64url raw Ed25519). Never empty: no keys means no `ModelTrust`. */
  keys: string[];
  /** Absolute URL of the witness's copy of the log checkpoint. */
  witnessUrl?: string;
  /** Absolute URL of the publisher's log (`…/v1/log`): leaves are read from `<logUrl>/leaves`. */
  logUrl?: string;
}

/** How a manifest checked: its signature and its place in the log (both shown by `audit().model`). */
export interface TrustVerdict { signature: ModelSignatureStatus; log?: ModelLogStatus }

const absolute = (u: unknown): string | undefined => {
  try {
    return typeof u === 'string' && u ? new URL(u, location.href).href.replace(/\/+$/, '') : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The page's trust settings, or null when no key is pinned. Read defensively: any `modelKeys` that is present
 * pins (a malformed entry then matches no signature, so it fails closed rather than turning checks off); an empty
 * list pins nothing. The log is the aggregator's `/v1/log`, else the one beside a `…/v1/model/…` model URL.
 */
export function readTrust(keys: unknown, log: unknown, aggregatorUrl: unknown, modelUrl: unknown): ModelTrust | null {
  const pinned = Array.isArray(keys) ? keys.map(String) : keys === undefined || keys === null ? [] : [String(keys)];
  if (pinned.length === 0) return null;
  let witness: unknown;
  try { witness = (log as { witnessUrl?: unknown } | null)?.witnessUrl; } catch { /* unreadable: none */ }
  const agg = absolute(aggregatorUrl), model = absolute(modelUrl);
  const logUrl = agg ? `${agg}/v1/log` : model?.includes('/v1/model/') ? `${model.slice(0, model.indexOf('/v1/model/'))}/v1/log` : undefined;
  const witnessUrl = absolute(witness);
  return { keys: pinned, ...(witnessUrl ? { witnessUrl } : {}), ...(logUrl ? { logUrl } : {}) };
}

/** What a manifest says of itself when no key is pinned (nothing is checked). */
export function uncheckedVerdict(m: Manifest): TrustVerdict {
  const sig = m.signature;
  const log = m.log;
  return {
    signature: sig && typeof sig.keyId === 'string' ? { status: 'unchecked', keyId: sig.keyId } : { status: 'unsigned' },
    ...(log && Number.isSafeInteger(log.index) && typeof log.head === 'string' ? { log: { index: log.index, head: log.head, checked: false } } : {}),
  };
}
