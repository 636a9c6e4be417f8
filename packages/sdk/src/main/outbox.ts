/**
 * Page-side batching. `track()` only pushes onto an array (a few microseconds); a timer, a size threshold,
 * `flush()` or the page going hidden turns the accumulated items into one `write()` to the worker, so
 * the page pays one structured clone per batch instead of one message per event.
 */
import type { ConsentLogEntry, Rejection } from '../types.js';
import type { PerchEvent } from '../shared/events/index.js';
import type { WriteBatch } from '../shared/worker-api.js';

export interface OutboxOptions {
  /** Wait this long after the first item so a burst becomes one batch. */
  delayMs: number;
  /** Send at once when this many events are waiting (bounds message size and memory). */
  maxBatch: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class Outbox {
  private batch: WriteBatch = { events: [], rejections: [], consent: [] };
  private timer: unknown = null;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  /** @param due called when a batch should go out; it calls `take()` when it can send. */
  constructor(private readonly due: () => void, private readonly opts: OutboxOptions) {
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  get size(): number {
    return this.batch.events.length + this.batch.rejections.length + this.batch.consent.length;
  }

  get events(): number {
    return this.batch.events.length;
  }

  pushEvent(e: PerchEvent): void {
    this.batch.events.push(e);
    if (this.batch.events.length >= this.opts.maxBatch) this.fire();
    else this.arm();
  }

  pushRejection(r: Rejection): void {
    this.batch.rejections.push(r);
    this.arm();
  }

  pushConsent(c: ConsentLogEntry): void {
    this.batch.consent.push(c);
    this.arm();
  }

  /** Hands the waiting items over (or null when empty) and starts a new batch. */
  take(): WriteBatch | null {
    this.disarm();
    if (this.size === 0) return null;
    const b = this.batch;
    this.batch = { events: [], rejections: [], consent: [] };
    return b;
  }

  clear(): void {
    this.disarm();
    this.batch = { events: [], rejections: [], consent: [] };
  }

  private arm(): void {
    if (this.timer === null) this.timer = this.setTimer(() => this.fire(), this.opts.delayMs);
  }

  private disarm(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  private fire(): void {
    this.disarm();
    this.due();
  }
}
