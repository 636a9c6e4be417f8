/**
 * Assembles `audit()` and `exportData()` from what the storage side returned. Calls held while consent
 * is pending are not validated yet (the worker validates), so they are counted, not listed: `audit()`
 * names how many in `storage.reason`, and `exportData()` has no events. Pure given its inputs.
 */
import type { AuditReport, ExportedData } from '../types.js';
import { SDK_VERSION } from '../shared/version.js';
import { noPrivacySpent } from '../shared/federated/api.js';
import type { ModelStatus } from '../shared/rerank/api.js';
import type { Retention, StoreDump, StoreStats } from '../shared/worker-api.js';
import type { ConsentManager } from './consent/manager.js';
import type { Held } from './track/held.js';

export function buildExport(consent: ConsentManager, dump: StoreDump | null): ExportedData {
  return {
    format: 'perch-export',
    version: 1,
    exportedAt: Date.now(),
    consent: consent.get(),
    consentLog: dump ? dump.consentLog : consent.log.slice(),
    // Each event with its stable id first (`eventId`: what `forget({ eventIds })` deletes by).
    events: dump ? dump.events.map((e, i) => (dump.eventIds?.[i] ? { eventId: dump.eventIds[i], ...e } : e)) : [],
    rejected: dump ? dump.rejected : [],
  };
}

export interface AuditInput {
  consent: ConsentManager;
  held: Held;
  stats: StoreStats | null;
  /** The worker's model status, or null (no worker, or the main-thread fallback). */
  model: ModelStatus | null;
  worker: { running: boolean; reason?: string } | null;
  retention: Retention;
  signals: { gpc: boolean; dnt: boolean };
  /** On-demand chunks that failed to load, by file (e.g. `perch-consent.js`), with the reason. */
  chunkErrors: string[];
}

export function buildAudit({ consent: manager, held, stats, model: m, worker, retention, signals, chunkErrors }: AuditInput): AuditReport {
  const consent = manager.get();
  const n = held.calls.length;
  const storage = stats
    ? { kind: stats.kind, ...(stats.reason ? { reason: stats.reason } : {}), bytes: stats.bytes, events: stats.events }
    : {
      kind: 'none' as const,
      reason: `storage consent ${consent.storage}${n ? `; ${n} tracked calls held in memory` : ''}`,
      bytes: 0,
      events: 0,
    };
  const report: AuditReport = {
    version: SDK_VERSION,
    consent,
    consentLog: stats ? stats.consentLog : manager.log.slice(),
    storage,
    counts: stats ? stats.counts : {},
    rejected: stats ? stats.rejected : { total: 0, byCode: {}, recent: [] },
    droppedFields: stats?.droppedFields ?? { total: 0, byField: {}, recent: [] },
    ignored: stats?.ignored ?? { total: 0, byKind: {} },
    retention,
    worker: worker ?? { running: false, reason: `not started: storage consent ${consent.storage}` },
    model: m ? {
      version: m.version,
      ...(m.sha256 ? { sha256: m.sha256 } : {}),
      ...(m.backend ? { backend: m.backend } : {}),
      ...(m.backendReason ?? m.error ? { backendReason: m.backendReason ?? m.error } : {}),
      ...(m.error ? { error: m.error } : {}),
    } : { version: null },
    // The federated client's log and accountant replace these when it runs (client.ts).
    outbound: [],
    privacy: noPrivacySpent(),
    gpc: signals.gpc,
    dnt: signals.dnt,
    held: n,
  };
  if (chunkErrors.length) report.chunkErrors = chunkErrors.slice();
  return report;
}
