/**
 * Assembles `audit()` and `exportData()` from what the storage side returned (or, when nothing may be
 * stored, from what the page holds in memory). Pure given its inputs.
 */
import type { AuditReport, ExportedData } from '../types.js';
import { addRejections, emptySummary, mergeSummaries } from '../shared/rejections.js';
import { SDK_VERSION } from '../shared/version.js';
import type { Retention, StoreDump, StoreStats } from '../shared/worker-api.js';
import type { ConsentManager } from './consent/manager.js';
import type { Held } from './held.js';

export function buildExport(consent: ConsentManager, held: Held, dump: StoreDump | null): ExportedData {
  return {
    format: 'perch-export',
    version: 1,
    exportedAt: Date.now(),
    consent: consent.get(),
    consentLog: dump ? dump.consentLog : consent.log.slice(),
    // Events held in memory while consent is pending are not stored, but Perch has them: show them.
    events: dump ? dump.events : held.events.slice(),
    rejected: dump ? dump.rejected : held.rejections.slice(),
  };
}

export interface AuditInput {
  consent: ConsentManager;
  held: Held;
  stats: StoreStats | null;
  worker: { running: boolean; reason?: string } | null;
  retention: Retention;
  signals: { gpc: boolean; dnt: boolean };
}

export function buildAudit({ consent: manager, held, stats, worker, retention, signals }: AuditInput): AuditReport {
  const consent = manager.get();
  const heldRejected = addRejections(emptySummary(), held.rejections);
  const storage = stats
    ? { kind: stats.kind, ...(stats.reason ? { reason: stats.reason } : {}), bytes: stats.bytes, events: stats.events }
    : { kind: 'none' as const, reason: `storage consent ${consent.storage}`, bytes: 0, events: 0 };
  return {
    version: SDK_VERSION,
    consent,
    consentLog: stats ? stats.consentLog : manager.log.slice(),
    storage,
    counts: stats ? stats.counts : {},
    rejected: stats ? mergeSummaries(stats.rejected, heldRejected) : heldRejected,
    retention,
    worker: worker ?? { running: false, reason: `not started: storage consent ${consent.storage}` },
    // Filled in by the reranking and federated issues; nothing is sent and no budget is spent yet.
    model: { version: null },
    outbound: [],
    privacy: { epsilonSpent: 0, epsilonBudget: 8, delta: 1e-6 },
    gpc: signals.gpc,
    dnt: signals.dnt,
  };
}
