/**
 * The page side of federated learning, in `perch-link.js` (loaded only with a worker, and used only in
 * `mode: 'federated'`): reads the options once, watches whether the page is idle or hidden, and keeps the
 * worker told, with the consent and privacy signals of the moment. The worker decides whether to train.
 */
import { readTuning, type FederatedHint, type FederatedTuning } from '../../shared/federated/api.js';
import type { ModelTrust } from '../../shared/model-trust.js';
import type { PerchWorkerApi } from '../../shared/worker-api.js';
import { watchActivity } from './page-activity.js';

export interface FederatedPageInput {
  /** `config.federated` and `config.aggregatorUrl` as the shop passed them (read defensively). */
  options: unknown;
  aggregatorUrl: unknown;
  training(): FederatedHint['training'];
  signals: { gpc: boolean; dnt: boolean };
  /** The worker's API now (null while none runs); read at every hint, so a restarted worker is told too. */
  api(): PerchWorkerApi | null;
  onError(e: unknown): void;
  /** The pinned model keys, log and witness (`readTrust`), passed on with every hint. */
  trust: ModelTrust | null;
}

export interface FederatedPage {
  tuning: FederatedTuning;
  /** Sends the current view to the worker (after a consent change, a worker restart). */
  hint(): void;
  stop(): void;
}

function absolute(u: unknown): string | null {
  try {
    return typeof u === 'string' && u ? new URL(u, location.href).href.replace(/\/+$/, '') : null;
  } catch {
    return null; // unusable URL: no aggregator
  }
}

export function federatedPage(i: FederatedPageInput): FederatedPage {
  const tuning = readTuning(i.options);
  const aggregatorUrl = absolute(i.aggregatorUrl);
  const hint = (): void => {
    const api = i.api();
    if (!api?.federatedHint) return;
    api.federatedHint({
      mode: 'federated', aggregatorUrl, training: i.training(), gpc: i.signals.gpc, dnt: i.signals.dnt, page: activity.current(), tuning, trust: i.trust,
    }).catch(i.onError);
  };
  const activity = watchActivity(tuning.idleAfterMs, hint);
  return { tuning, hint, stop: () => activity.stop() };
}
