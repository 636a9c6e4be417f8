import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RawCall } from '../../shared/worker-api.js';
import { Held, MAX_HELD_EVENTS } from './held.js';
import { Outbox } from './outbox.js';

const ev = (id: string): RawCall => ['view_item', { items: [{ item_id: id }] }, 1];
const idOf = (c: RawCall | undefined): string => ((c?.[1] as { items: { item_id: string }[] }).items[0] as { item_id: string }).item_id;

function fakeTimers() {
  return { run: () => vi.runOnlyPendingTimers(), pending: () => vi.getTimerCount() };
}

describe('Outbox batching', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });
  it('turns a burst into one batch after the delay', () => {
    const t = fakeTimers();
    const batches: number[] = [];
    const box: Outbox = new Outbox(() => { const b = box.take(); if (b) batches.push(b.calls.length); }, { delayMs: 25, maxBatch: 500 });
    for (let i = 0; i < 120; i++) box.pushCall(ev(`e${i}`));
    expect(t.pending()).toBe(1);
    expect(batches).toEqual([]);
    t.run();
    expect(batches).toEqual([120]);
    expect(box.size).toBe(0);
  });
  it('sends a full batch from the next task, never inside the track() call, at most maxBatch per message, in order', () => {
    const sizes: number[] = [];
    const seen: string[] = [];
    const box: Outbox = new Outbox(() => {
      const b = box.take();
      if (b) { sizes.push(b.calls.length); for (const c of b.calls) seen.push(idOf(c)); }
    }, { delayMs: 25, maxBatch: 100 });
    for (let i = 0; i < 250; i++) box.pushCall(ev(`e${i}`));
    expect(seen).toHaveLength(0); // nothing was cloned inside the pushing task
    // Each 0 ms timer sends one slice and re-arms the next at 0 ms (never the 25 ms delay).
    for (let i = 0; i < 3; i++) vi.advanceTimersByTime(1);
    expect(sizes).toEqual([100, 100, 50]);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => `e${i}`));
    expect(vi.getTimerCount()).toBe(0);
  });
  it('keeps items when the sink cannot take them yet, and clear() drops them', () => {
    const box = new Outbox(() => undefined, { delayMs: 25, maxBatch: 10 });
    for (let i = 0; i < 30; i++) box.pushCall(ev(`e${i}`));
    expect(box.size).toBe(30);
    expect(box.take()?.calls).toHaveLength(10);
    expect(box.take()?.calls).toHaveLength(10);
    expect(box.size).toBe(10);
    box.pushCall(ev('x'));
    box.clear();
    expect(box.take()).toBeNull();
  });
});

describe('Held (pre-consent queue)', () => {
  it('is bounded and keeps the newest events', () => {
    const h = new Held();
    for (let i = 0; i < MAX_HELD_EVENTS + 5; i++) h.pushCall(ev(`e${i}`));
    expect(h.calls).toHaveLength(MAX_HELD_EVENTS);
    expect(idOf(h.calls[0])).toBe('e5');
    expect(h.overflow).toBe(5);
  });
});
