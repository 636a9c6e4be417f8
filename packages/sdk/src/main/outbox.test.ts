import { describe, expect, it } from 'vitest';
import type { PerchEvent } from '../shared/events/index.js';
import { Held, MAX_HELD_EVENTS } from './held.js';
import { Outbox } from './outbox.js';

const ev = (id: string): PerchEvent => ({ v: 1, type: 'view_item', ts: 1, items: [{ id }] });

function fakeTimers() {
  const due: Array<() => void> = [];
  return { setTimer: (fn: () => void) => { due.push(fn); return due.length; }, clearTimer: () => { due.length = 0; }, run: () => due.splice(0).forEach((f) => f()), pending: () => due.length };
}

describe('Outbox batching', () => {
  it('turns a burst into one batch after the delay', () => {
    const t = fakeTimers();
    const batches: number[] = [];
    const box: Outbox = new Outbox(() => { const b = box.take(); if (b) batches.push(b.events.length); }, { delayMs: 25, maxBatch: 500, ...t });
    for (let i = 0; i < 120; i++) box.pushEvent(ev(`e${i}`));
    expect(t.pending()).toBe(1);
    expect(batches).toEqual([]);
    t.run();
    expect(batches).toEqual([120]);
    expect(box.size).toBe(0);
  });
  it('sends at once at maxBatch, keeping order across batches', () => {
    const t = fakeTimers();
    const seen: string[] = [];
    const box: Outbox = new Outbox(() => { for (const e of box.take()?.events ?? []) seen.push(e.items[0]!.id); }, { delayMs: 25, maxBatch: 100, ...t });
    for (let i = 0; i < 250; i++) box.pushEvent(ev(`e${i}`));
    expect(seen).toHaveLength(200);
    t.run();
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => `e${i}`));
  });
  it('keeps items when the sink cannot take them yet, and clear() drops them', () => {
    const t = fakeTimers();
    const box = new Outbox(() => undefined, { delayMs: 25, maxBatch: 10, ...t });
    for (let i = 0; i < 30; i++) box.pushEvent(ev(`e${i}`));
    box.pushRejection({ code: 'unknown_event', reason: 'x', ts: 1 });
    expect(box.size).toBe(31);
    expect(box.take()?.events).toHaveLength(30);
    box.pushEvent(ev('x'));
    box.clear();
    expect(box.take()).toBeNull();
  });
});

describe('Held (pre-consent queue)', () => {
  it('is bounded and keeps the newest events', () => {
    const h = new Held();
    for (let i = 0; i < MAX_HELD_EVENTS + 5; i++) h.pushEvent(ev(`e${i}`));
    expect(h.events).toHaveLength(MAX_HELD_EVENTS);
    expect(h.events[0]?.items[0]?.id).toBe('e5');
    expect(h.overflow).toBe(5);
  });
});
