/**
 * Page-side batching. `track()` only pushes a raw call onto an array (a few microseconds); a timer, a size threshold,
 * `flush()` or the page going hidden turns the accumulated items into one `write()` to the worker, so
 * the page pays one structured clone per batch instead of one message per event.
 */
import type { RawCall, WriteBatch } from '../shared/worker-api.js';

/** The page only sends raw calls (validated by the storage side); the client adds consent entries. */
type PageBatch = WriteBatch & { calls: RawCall[] };
const empty = (): PageBatch => ({ calls: [], events: [], rejections: [], consent: [] });

export interface OutboxOptions {
  /** Wait this long after the first item so a burst becomes one batch. */
  delayMs: number;
  /** Send at once when this many calls are waiting (bounds message size, clone time and memory). */
  maxBatch: number;
}

export class Outbox {
  #batch: PageBatch = empty();
  #timer: ReturnType<typeof setTimeout> | undefined;
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
    if (this.#batch.calls.length >= this.#opts.maxBatch) this.#fire();
    else this.#arm();
  }

  /** Hands the waiting items over (or null when empty) and starts a new batch. */
  take(): PageBatch | null {
    this.#disarm();
    if (this.size === 0) return null;
    const b = this.#batch;
    this.#batch = empty();
    return b;
  }

  clear(): void {
    this.#disarm();
    this.#batch = empty();
  }

  #arm(): void {
    this.#timer ??= setTimeout(() => this.#fire(), this.#opts.delayMs);
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fire(): void {
    this.#disarm();
    this.#due();
  }
}
