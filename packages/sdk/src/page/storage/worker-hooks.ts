/**
 * What the page does only while a worker runs, in `perch-link.js` (which started that worker, so it is
 * already loaded): ask the worker to load the model (with personalization), prefetch the page side of
 * `rerank()`, wire federated learning (`mode: 'federated'`), and add the worker's transparency log,
 * privacy budget and client state to `audit()`. Kept out of the loader, which every page downloads.
 */
import type { AuditReport, ConsentState } from '../../types.js';
import { resolveAssetBase } from '../assets.js';
import { loadChunk } from '../chunks.js';
import type { InternalConfig } from '../config.js';
import type { ConsentManager } from '../consent/manager.js';
import { federatedPage, type FederatedPage } from '../learn/federated-page.js';
import { readTrust } from '../../shared/model-trust.js';
import { debug } from '../log.js';
import type { Backend } from './backend.js';

export interface HookHost {
  config: InternalConfig;
  consent: ConsentManager;
  signals: { gpc: boolean; dnt: boolean };
  /** The backend now (null once destroyed or while restarting). */
  backend(): Backend | null;
  /** Teardown run by `destroy()`. */
  cleanups: (() => void)[];
}

export interface WorkerHooks {
  /** A worker started (or restarted) with storage granted. */
  started(b: Backend): void;
  consentChanged(next: ConsentState, prev: ConsentState): void;
  /** Fills the worker-side parts of an audit report. */
  audit(report: AuditReport, b: Backend): Promise<void>;
}

export function workerHooks(h: HookHost): WorkerHooks {
  let fed: FederatedPage | null = null;
  const base = resolveAssetBase(h.config);
  const personalized = (): boolean => h.consent.value('personalization') === 'granted';
  // Pinned model keys, log and witness: for the rerank model here, and for the federated base model in the hint.
  const trust = readTrust(h.config.modelKeys, h.config.modelLog, h.config.aggregatorUrl, h.config.modelUrl);

  const loadModel = (b: Backend): void => {
    const url = h.config.modelUrl;
    // Only with personalization granted: the worker then fetches its model script and the model itself.
    if (typeof url !== 'string' || !url || !b.api.loadModel || !personalized()) return;
    try {
      const backend = h.config.backend;
      void b.api.loadModel({
        url: new URL(url, typeof location !== 'undefined' ? location.href : undefined).href,
        ...(typeof backend === 'string' ? { backend } : {}),
        ...(base ? { wasmPaths: base } : {}),
        ...(trust ? { trust } : {}),
      }).catch((e: unknown) => debug('model load failed', e));
    } catch (e) {
      debug('model load failed', e);
    }
  };
  const prefetchRerank = (b: Backend): void => {
    if (b.worker.running && personalized()) loadChunk('rerank', base).catch((e: unknown) => debug('rerank script', e));
  };
  const startFederated = (): void => {
    if (h.config.mode !== 'federated') return;
    if (!fed) {
      const f = federatedPage({
        options: h.config.federated, aggregatorUrl: h.config.aggregatorUrl, training: () => h.consent.value('training'),
        signals: h.signals, api: () => h.backend()?.api ?? null, onError: (e) => debug('federated hint failed', e), trust,
      });
      fed = f;
      h.cleanups.push(() => { f.stop(); if (fed === f) fed = null; });
    }
    fed.hint();
  };

  return {
    started(b) {
      loadModel(b);
      prefetchRerank(b);
      startFederated();
    },
    consentChanged(next, prev) {
      if (next.training !== prev.training) fed?.hint();
      const b = h.backend();
      if (b?.worker.running && next.personalization === 'granted' && prev.personalization !== 'granted') {
        prefetchRerank(b);
        loadModel(b);
      }
    },
    async audit(report, b) {
      // How the model in use checked (signature, log position): read here, so the loader carries none of it.
      const m = b.api.modelStatus ? await b.api.modelStatus().catch(() => null) : null;
      if (m?.signature) report.model.signature = m.signature;
      if (m?.log) report.model.log = m.log;
      if (fed) report.privacy.epsilonBudget = fed.tuning.policy.epsilonBudget;
      const s = b.api.federatedStatus ? await b.api.federatedStatus().catch(() => null) : null;
      if (!s) return;
      report.outbound = s.outbound;
      report.privacy = s.privacy;
      if (h.config.mode === 'federated') report.federated = { state: s.state, uploads: s.uploads, refusals: s.refusals, ...(s.lastTraining ? { lastTraining: s.lastTraining } : {}) };
    },
  };
}
