import { describe, expect, it } from 'vitest';
import { storedEventProblem, validateEvent } from '../../shared/events/index.js';
import { impressionListId, impressionProps } from './impression.js';

const result = {
  personalized: true,
  items: [
    { item: { item_id: 'B', item_category: 'c1', item_name: 'Blue shoe', price: 20 }, score: 0.9, originalIndex: 1 },
    { item: { item_id: 'A', item_brand: 'acme' }, score: 0.5, originalIndex: 0 },
    { item: { item_name: 'no id' } as never, score: 0.1, originalIndex: 2 },
  ],
};

describe('rerank impressions', () => {
  it('reports shown and original positions and passes the event boundary, minimised', () => {
    const props = impressionProps(result, 'search');
    const v = validateEvent('view_item_list', props, 1_000);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.event.list).toBe('search');
    expect(v.event.items).toEqual([
      { id: 'B', index: 0, originalIndex: 1, category: 'c1', priceBucket: 8 },
      { id: 'A', index: 1, originalIndex: 0, brand: 'acme' },
    ]);
    expect(storedEventProblem(v.event)).toBeNull();
    expect(JSON.stringify(v.event)).not.toContain('Blue shoe');
  });

  it('the boundary drops a malformed original_index, with why, and keeps the impression', () => {
    const v = validateEvent('view_item_list', { items: [{ item_id: 'A', original_index: -1 }] }, 1);
    expect(v.ok && v.event.items).toEqual([{ id: 'A' }]);
    expect(v.ok && v.issues[0]?.reason).toMatch(/original_index/);
    expect(storedEventProblem({ v: 1, type: 'view_item_list', ts: 1, items: [{ id: 'A', originalIndex: 1.5 }] })).toMatch(/originalIndex/);
  });

  it('nothing shown, nothing reported; list ids are trimmed and defaulted', () => {
    expect(impressionProps({ personalized: false, items: [] }, 'x')).toBeNull();
    expect(impressionListId('  carousel-1 ')).toBe('carousel-1');
    expect(impressionListId('')).toBe('page'); // Node: no location
    expect(impressionListId(42)).toBe('page');
  });
});
