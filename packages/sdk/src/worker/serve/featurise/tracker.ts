/**
 * The live intent state: the GRU hidden vector after the shopper's stored events. Each new stored event
 * advances it by one `step` (O(1): the history is never replayed). It follows the database's event
 * sequence by key, so events written by other tabs are folded in too, once each, in stored order. It
 * survives a reload: the saved state is used when it is current, otherwise it is rebuilt from the last
 * `INTENT_WINDOW` stored events (the model was trained on histories of that length).
 */
import type { ModelEvent, ModelState } from '@perch/model/tfjs';
import type { HistoryEntry } from '../rerank/explain.js';
import type { KeyedEvent, ModelCache } from '../model/cache.js';
import type { ModelRuntime } from '../model/runtime.js';
import { carriesIntent, historyOf, type EventMapper } from './events.js';

/** Events a rebuild uses, and history entries kept for explanations (the trainer's maxLen). */
export const INTENT_WINDOW = 50;
/**
 * Stored events a rebuild reads to find the newest `INTENT_WINDOW` that carry intent: list impressions
 * (one per `rerank()`) sit between the shopper's own events.
 */
const REBUILD_SCAN = 4 * INTENT_WINDOW;
const SAVE_DELAY_MS = 300;

/** Reads stored events with key > `after` (oldest first, the newest `limit`). */
export type EventSource = (after: number, limit: number) => Promise<KeyedEvent[]>;

export class IntentTracker {
  state: ModelState;
  history: HistoryEntry[] = [];
  /** Key of the newest event folded in (0 = none). */
  lastKey = 0;
  /** Stored events folded in by `step` (not by a rebuild): O(1) work each. */
  stepped = 0;
  /** Durations (ms) of the newest model steps, for `modelStatus()` and the bench. */
  readonly stepTimes: number[] = [];
  private lastTs: number | null = null;
  private chain: Promise<void> = Promise.resolve();
  private saveTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly rt: ModelRuntime,
    private readonly mapper: EventMapper,
    private readonly version: string,
    private readonly cache: ModelCache,
    private readonly source: EventSource,
  ) {
    this.state = rt.model.initialState();
  }

  /** Restores the saved state when it is current, else rebuilds from the stored sequence. */
  start(): Promise<void> {
    return this.enqueue(async () => {
      const recent = await this.source(0, REBUILD_SCAN);
      const saved = await this.cache.readIntent();
      const newest = recent.length ? (recent[recent.length - 1] as KeyedEvent).key : 0;
      if (saved && saved.modelVersion === this.version && saved.lastKey === newest && saved.h.length === this.state.h.length) {
        this.state = { h: saved.h, length: saved.length };
        this.remember(recent);
        this.lastKey = newest;
        return;
      }
      await this.rebuild(recent);
    });
  }

  /** Folds in every stored event newer than the last one seen (called after each write, and on other tabs' notices). */
  sync(): Promise<void> {
    return this.enqueue(async () => {
      const fresh = await this.source(this.lastKey, INTENT_WINDOW + 1);
      if (fresh.length === 0) return;
      if (fresh.length > INTENT_WINDOW) return this.rebuild(await this.source(0, REBUILD_SCAN));
      for (const e of fresh) {
        for (const ev of this.mapper.toModel(e.value, this.lastTs)) {
          const s = this.state;
          const t0 = performance.now();
          this.state = await this.rt.run((m) => m.step(s, ev));
          this.stepTimes.push(performance.now() - t0);
          if (this.stepTimes.length > 512) this.stepTimes.shift();
        }
        this.stepped++;
        this.lastTs = e.value.ts;
      }
      this.remember(fresh);
      this.lastKey = (fresh[fresh.length - 1] as KeyedEvent).key;
      this.scheduleSave();
    });
  }

  /** Rebuilds from the stored sequence (after events were deleted: they must stop counting). */
  rebuildFromStore(): Promise<void> {
    return this.enqueue(async () => this.rebuild(await this.source(0, REBUILD_SCAN)));
  }

    /** Resolves when every queued sync has been applied. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Forgets everything (after `forget()`): zero state, no history. */
  reset(): void {
    this.state = this.rt.model.initialState();
    this.history = [];
    this.lastKey = 0;
    this.lastTs = null;
  }

  private async rebuild(scanned: KeyedEvent[]): Promise<void> {
    const inputs: ModelEvent[] = [];
    let prev: number | null = null;
    const recent = scanned.filter((e) => carriesIntent(e.value)).slice(-INTENT_WINDOW);
    for (const e of recent) {
      inputs.push(...this.mapper.toModel(e.value, prev));
      prev = e.value.ts;
    }
    const init = this.rt.model.initialState();
    this.state = inputs.length ? (await this.rt.run((m) => m.forward(inputs.slice(-INTENT_WINDOW), init))).state : init;
    this.history = [];
    this.remember(recent);
    this.lastKey = scanned.length ? (scanned[scanned.length - 1] as KeyedEvent).key : 0;
    this.lastTs = prev;
    this.scheduleSave();
  }

  private remember(events: KeyedEvent[]): void {
    for (const e of events) this.history.push(...historyOf(e.value));
    if (this.history.length > INTENT_WINDOW) this.history.splice(0, this.history.length - INTENT_WINDOW);
    const last = events[events.length - 1];
    if (last) this.lastTs = last.value.ts;
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    // A failed job (database gone, every backend lost) must not block the ones after it.
    this.chain = this.chain.then(job).catch(() => undefined);
    return this.chain;
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.cache.writeIntent({ modelVersion: this.version, h: this.state.h, length: this.state.length, lastKey: this.lastKey });
    }, SAVE_DELAY_MS);
  }
}
