/**
 * Page-side batching. `track()` only pushes a raw call onto an array (a few microseconds); a timer, a size
 * threshold, `flush()` or the page going hidden turns the accumulated calls into `write()`s to the worker,
 * so the page pays one structured clone per batch instead of one message per event. Two rules keep each
 * main-thread task short: a full batch is sent from its own task (a 0 ms timer), never inside the
 * `track()` call that filled it, and one message carries at most `maxBatch` calls (a shop that tracks
 * thousands of events in one loop gets several small clones, one per task, not one big one).
 */
import type { RawCall, WriteBatch } from '../../shared/worker-api.js';

/** The page only sends raw calls (validated by the storage side); the client adds consent entries. */
type PageBatch = WriteBatch & { calls: RawCall[] };
const empty = (): PageBatch => ({ calls: [], events: [], rejections: [], consent: [] });

export interface OutboxOptions {
  /** Wait this long after the first item so a burst becomes one batch. */
  delayMs: number;
  /** Send (in the next task) when this many calls wait; also the most one message carries. */
  maxBatch: number;
}

export class Outbox {
  #batch: PageBatch = empty();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #soon = false;
  readonly #due: () => void;
  readonly #opts: OutboxOptions;

  /** @param due called when a batch should go out; it calls `take()` when it can send. */
  constructor(due: () => void, opts: OutboxOptions) {
    this.#due = due;
    this.#opts = opts;
  }

  get size(): number {
    return this.#batch.calls.length;
  }

  /** Calls waiting to be sent. */
  get calls(): number {
    return this.#batch.calls.length;
  }

  pushCall(c: RawCall): void {
    this.#batch.calls.push(c);
    if (this.#batch.calls.length === this.#opts.maxBatch) this.#arm(0);
    else this.#arm(this.#opts.delayMs);
  }

  /**
   * Hands over up to `maxBatch` waiting calls (or null when none wait); what remains is sent from the
   * next task, or by calling `take()` again.
   */
  take(): PageBatch | null {
    this.#disarm();
    const all = this.#batch.calls;
    if (all.length === 0) return null;
    const max = this.#opts.maxBatch;
    if (all.length <= max) {
      this.#batch = empty();
      return { ...empty(), calls: all };
    }
    const b = { ...empty(), calls: all.slice(0, max) };
    this.#batch.calls = all.slice(max);
    this.#arm(0);
    return b;
  }

  clear(): void {
    this.#disarm();
    this.#batch = empty();
  }

  /** Schedules a send in `ms` (a pending later one is brought forward to 0 ms when the batch fills). */
  #arm(ms: number): void {
    if (this.#timer !== undefined && !(ms === 0 && this.#soon === false)) return;
    clearTimeout(this.#timer);
    this.#soon = ms === 0;
    this.#timer = setTimeout(() => this.#fire(), ms);
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#soon = false;
  }

  #fire(): void {
    this.#disarm();
    this.#due();
  }
}
