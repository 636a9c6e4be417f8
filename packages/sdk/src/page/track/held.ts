/**
 * `track()` calls made while `storage` consent is still pending: raw snapshots kept in memory only,
 * bounded, never written and not yet validated (validation runs in the worker, which does not exist
 * before consent). If storage is granted they go to the worker first, in call order, and are validated
 * there; if it is denied they are dropped. `audit()` reports how many are held.
 */
import type { RawCall } from '../../shared/worker-api.js';

/** At most this many calls wait for consent; beyond it the oldest go (the recent ones carry the intent). */
export const MAX_HELD_EVENTS = 1_000;

export class Held {
  calls: RawCall[] = [];
  /** Calls dropped because the queue was full. */
  overflow = 0;

  pushCall(c: RawCall): void {
    this.calls.push(c);
    if (this.calls.length > MAX_HELD_EVENTS) {
      this.calls.shift();
      this.overflow++;
    }
  }

  clear(): void {
    this.calls = [];
    this.overflow = 0;
  }
}
