import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../../shared/events/index.js';
import { attributionToken, parseAttribution } from './attribution.js';
import { blendScores, modelRanks, NEUTRAL } from './blend.js';
import { applyReply, toCandidates } from '../../../page/rerank/candidates.js';
import { explain, indexHistory, type HistoryEntry } from './explain.js';
import { orderItems } from './order.js';
import { rerankList, unchanged } from './rerank.js';

const none = indexHistory([]);

describe('blend', () => {
  it('ranks model scores by mid-rank percentile; unknown items get the neutral value', () => {
    expect(modelRanks([3, null, 1, 2])).toEqual([1, NEUTRAL, 0, 0.5]);
    expect(modelRanks([1, 1, 0])).toEqual([0.75, 0.75, 0]);
    expect(modelRanks([null, Number.NaN, 4])).toEqual([NEUTRAL, NEUTRAL, NEUTRAL]);
  });
  it('blend 0 keeps the shop order, blend 1 follows the model', () => {
    const model = [0, 1, 2, 3];
    expect(orderItems({ scores: blendScores(model, 0) })).toEqual([0, 1, 2, 3]);
    expect(orderItems({ scores: blendScores(model, 1) })).toEqual([3, 2, 1, 0]);
  });
  it('an item with nothing known neither rises to the top nor sinks to the bottom at blend 1', () => {
    const order = orderItems({ scores: blendScores([5, 4, null, 2, 1], 1) });
    expect(order.indexOf(2)).toBe(2);
  });
});

describe('pins and MMR', () => {
  it('pinned positions never move, whatever the scores', () => {
    const scores = [0, 0.1, 0.2, 0.3, 0.4, 0.5];
    const order = orderItems({ scores, pinned: [0, 3, 99, -1, 1.5] });
    expect(order[0]).toBe(0);
    expect(order[3]).toBe(3);
    expect(order).toEqual([0, 5, 4, 3, 2, 1]);
  });
  it('diversity spreads a dominant category; 0 keeps score order', () => {
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5];
    const categories = ['a', 'a', 'a', 'b', 'c'];
    expect(orderItems({ scores, categories, diversity: 0 })).toEqual([0, 1, 2, 3, 4]);
    expect(orderItems({ scores, categories, diversity: 0.5 })).toEqual([0, 3, 4, 1, 2]);
  });
  it('MMR keeps pins in place and counts them as shown', () => {
    const order = orderItems({ scores: [0.1, 0.9, 0.8, 0.7], categories: ['a', 'a', 'a', 'b'], pinned: [0], diversity: 0.6 });
    expect(order).toEqual([0, 3, 1, 2]);
  });
});

describe('explanations', () => {
  const history: HistoryEntry[] = [
    { type: 'view_item', id: 'S1', category: 'Shoes', brand: 'Acme', ts: 1 },
    { type: 'add_to_cart', id: 'S2', category: 'Shoes', ts: 2 },
    { type: 'view_item', id: 'H1', category: 'Hats', brand: 'Hatco', ts: 3 },
    { type: 'view_item_list', id: 'L1', category: 'Bags', ts: 4 },
  ];
  const idx = indexHistory(history);
  it('name the strongest real event: the item itself, then its category, then its brand', () => {
    expect(explain({ id: 'S1', category: 'Shoes' }, idx)).toBe('because you viewed S1');
    expect(explain({ id: 'S9', category: 'Shoes' }, idx)).toBe('popular in your recent category Shoes: because you added S2 to your cart');
    expect(explain({ id: 'X', brand: 'Hatco' }, idx)).toBe('from a brand you liked (Hatco): because you viewed H1');
  });
  it('say nothing without supporting history (list impressions are not interest)', () => {
    expect(explain({ id: 'B1', category: 'Bags' }, idx)).toBeNull();
    expect(explain({ id: 'S1' }, none)).toBeNull();
  });
});

describe('attribution tokens', () => {
  it('round-trip and pass the event boundary as an attribution property', () => {
    const t = attributionToken({ call: 'k3f9a2zz', originalIndex: 12, shownIndex: 0, personalized: true });
    expect(parseAttribution(t)).toEqual({ call: 'k3f9a2zz', originalIndex: 12, shownIndex: 0, personalized: true });
    const r = validateEvent('select_item', { items: [{ item_id: 'A' }], attribution: t }, 1);
    expect(r.ok && r.event.attribution).toBe(t);
    expect(parseAttribution('nope')).toBeNull();
  });
  it('every item of a reply carries its own token with its original and shown position', () => {
    const reply = rerankList({ items: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], modelScores: [0, 1, 2], options: { blend: 1 }, history: none, callId: 'c1' });
    expect(reply.order).toEqual([2, 1, 0]);
    expect(parseAttribution(reply.attribution[2]!)).toMatchObject({ originalIndex: 2, shownIndex: 0, personalized: true });
    const u = unchanged(2, 'no model', 'c2');
    expect(u.order).toEqual([0, 1]);
    expect(parseAttribution(u.attribution[1]!)).toMatchObject({ originalIndex: 1, shownIndex: 1, personalized: false });
  });
});

describe('page side', () => {
  it('minimises the shop items and maps the reply back onto the same objects', () => {
    const items = [{ item_id: 'a', item_name: 'Secret', price: 10, item_category: 'Shoes' }, { item_id: 7, item_brand: 'B' }, { nope: 1 } as never];
    const c = toCandidates(items);
    expect(c[0]).toEqual({ id: 'a', category: 'Shoes', priceBucket: 6 });
    expect(c[1]).toEqual({ id: '7', brand: 'B' });
    expect(c[2]).toEqual({ id: '' });
    const reply = { ...rerankList({ items: c, modelScores: [0, 1, null], options: { blend: 1 }, history: none, callId: 'x' }), modelVersion: 'v', backend: 'cpu', workerMs: 1 };
    const res = applyReply(items, reply);
    expect(res.items.map((r) => r.originalIndex)).toEqual(reply.order);
    expect(res.items[0]!.item).toBe(items[reply.order[0]!]);
    expect(applyReply(items.slice(0, 2), reply).personalized).toBe(false);
  });
});
