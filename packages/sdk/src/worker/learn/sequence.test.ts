import { describe, expect, it } from 'vitest';
import type { PerchEvent } from '../../shared/events/index.js';
import { deviceSequence } from './sequence.js';

const vocab = { items: ['', 'a', 'b', 'c'], attrs: ['', 'x'], itemAttrs: [[], [1], [], []], categories: ['unknown'], itemCategory: [0, 0, 0, 0] };
const ev = (type: PerchEvent['type'], ids: string[], ts: number): PerchEvent => ({ v: 1, type, ts, items: ids.map((id) => ({ id })) } as PerchEvent);

describe('deviceSequence', () => {
  it('maps known items to rows with kinds and gap buckets, skips unknown items and item-less events', () => {
    const s = deviceSequence([
      ev('view_item', ['a'], 0), ev('view_item_list', ['a', 'b'], 1_000), ev('view_item', ['zzz'], 2_000),
      ev('add_to_cart', ['b'], 5_000), ev('purchase', ['b', 'c'], 100_000),
    ], vocab);
    expect([...s.items]).toEqual([1, 2, 2, 3]);
    expect([...s.kinds]).toEqual([0, 2, 4, 4]); // view, cart, purchase, purchase
    expect(s.gaps[0]).toBe(8); // first event: open-ended bucket
    expect(s.gaps[3]).toBe(0); // items of one event happen at once
  });

  it('keeps only the newest maxLen positions', () => {
    const events = Array.from({ length: 10 }, (_, i) => ev('view_item', [i % 2 ? 'a' : 'b'], i * 1000));
    expect(deviceSequence(events, vocab, 4).items.length).toBe(4);
  });
});

describe('transparency log bounds', () => {
  it('never lets round polls push an upload out of the log', async () => {
    const { trimLog, MAX_BODYLESS } = await import('./persist.js');
    const post = { ts: 0, url: 'u', method: 'POST', bytes: 3, body: 'AAAA', status: 202 };
    const get = (i: number) => ({ ts: i, url: 'u', method: 'GET', bytes: 0, body: '' });
    const log = [get(-1), post, ...Array.from({ length: 100 }, (_, i) => get(i))];
    const kept = trimLog(log);
    expect(kept[0]).toBe(post);
    expect(kept.length).toBe(1 + MAX_BODYLESS);
    expect(kept.at(-1)!.ts).toBe(99);
  });
});
