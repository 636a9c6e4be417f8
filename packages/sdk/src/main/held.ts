/**
 * Events tracked while `storage` consent is still pending: kept in memory only, bounded, never written.
 * If storage is granted they are handed to the worker; if it is denied they are dropped.
 */
import type { Rejection } from '../types.js';
import type { PerchEvent } from '../shared/events/index.js';

/** At most this many events wait for consent; beyond it the oldest go (the recent ones carry the intent). */
export const MAX_HELD_EVENTS = 1_000;
/** Rejections kept in memory while nothing may be stored (for `audit()`). */
export const MAX_HELD_REJECTIONS = 1_000;

export class Held {
  events: PerchEvent[] = [];
  rejections: Rejection[] = [];
  /** Events dropped because the queue was full. */
  overflow = 0;

  pushEvent(e: PerchEvent): void {
    this.events.push(e);
    if (this.events.length > MAX_HELD_EVENTS) {
      this.events.shift();
      this.overflow++;
    }
  }

  pushRejection(r: Rejection): void {
    this.rejections.push(r);
    if (this.rejections.length > MAX_HELD_REJECTIONS) this.rejections.shift();
  }

  clearEvents(): void {
    this.events = [];
  }

  clear(): void {
    this.events = [];
    this.rejections = [];
    this.overflow = 0;
  }
}
