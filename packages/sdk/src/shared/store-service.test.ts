import { describe, expect, it } from 'vitest';
import type { PerchEvent } from './events/index.js';
import { MemoryStore } from './memory-store.js';
import { StoreService } from './store-service.js';
import type { StoreOptions, WriteBatch } from './worker-api.js';

const ev = (id: string, ts = Date.now()): PerchEvent => ({ v: 1, type: 'view_item', ts, items: [{ id }] });
const batch = (ids: string[]): WriteBatch => ({ events: ids.map((i) => ev(i)), rejections: [], consent: [] });
const OPTS: StoreOptions = { dbName: 't', retention: { maxEvents: 1_000, maxAgeDays: 90 }, idbOpenTimeoutMs: 100 };

/** A memory store whose appends fail with `error` the first `failures` times. */
class FlakyStore extends MemoryStore {
  appends = 0;
  constructor(private failures: number, private readonly error: Error) { super('indexeddb'); }
  override async append(b: WriteBatch, r: StoreOptions['retention']): Promise<void> {
    this.appends++;
    if (this.failures-- > 0) throw this.error;
    return super.append(b, r);
  }
}
const quota = Object.assign(new Error('full'), { name: 'QuotaExceededError' });

describe('StoreService', () => {
  it('merges batches that arrive during a write and keeps order', async () => {
    const store = new FlakyStore(0, quota);
    const svc = new StoreService(async () => store, 'memory-worker');
    await svc.open(OPTS);
    await Promise.all([svc.write(batch(['a'])), svc.write(batch(['b'])), svc.write(batch(['c', 'd']))]);
    expect((await svc.dump()).events.map((e) => e.items[0]?.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(store.appends).toBeLessThanOrEqual(2);
  });
  it('applies count retention (oldest first) and age retention at open', async () => {
    const store = new MemoryStore('indexeddb');
    await store.append({ events: [ev('old', 0), ev('new')], rejections: [], consent: [] }, OPTS.retention);
    const svc = new StoreService(async () => store, 'memory-worker');
    await svc.open({ ...OPTS, retention: { maxEvents: 3, maxAgeDays: 1 } });
    await svc.write(batch(['a', 'b', 'c']));
    expect((await svc.dump()).events.map((e) => e.items[0]?.id)).toEqual(['a', 'b', 'c']);
  });
  it('QuotaExceededError once: prunes the oldest and retries in the same store', async () => {
    const store = new FlakyStore(0, quota);
    const svc = new StoreService(async () => store, 'memory-worker');
    await svc.open(OPTS);
    await svc.write(batch(Array.from({ length: 50 }, (_, i) => `x${i}`)));
    (store as unknown as { failures: number }).failures = 1;
    const status = await svc.write(batch(['y']));
    expect(status.kind).toBe('indexeddb');
    const ids = (await svc.dump()).events.map((e) => e.items[0]?.id);
    expect(ids.at(-1)).toBe('y');
    // A tenth of the 50 stored (the oldest five) made room; the new event is kept.
    expect(ids).toHaveLength(46);
    expect(ids[0]).toBe('x5');
  });
  it('QuotaExceededError twice (or any other failure): moves to memory and keeps everything acknowledged', async () => {
    for (const err of [quota, new Error('disk on fire')]) {
      const store = new FlakyStore(0, err);
      const svc = new StoreService(async () => store, 'memory-worker');
      await svc.open(OPTS);
      await svc.write(batch(['a', 'b']));
      (store as unknown as { failures: number }).failures = 99;
      const status = await svc.write(batch(['c']));
      expect(status.kind).toBe('memory-worker');
      expect(status.reason).toMatch(err === quota ? /quota/ : /disk on fire/);
      const ids = (await svc.dump()).events.map((e) => e.items[0]?.id);
      expect(ids.slice(-1)).toEqual(['c']);
      expect(ids).toContain(err === quota ? 'c' : 'a');
    }
  });
  it('moves to memory with only what the failing store can read without reopening (a lost connection gives nothing)', async () => {
    const store = new FlakyStore(0, new Error('InvalidStateError'));
    let dumps = 0;
    store.dump = async () => { dumps++; return MemoryStore.prototype.dump.call(store); };
    store.salvage = async () => null;
    const svc = new StoreService(async () => store, 'memory-worker');
    await svc.open(OPTS);
    await svc.write(batch(['a']));
    (store as unknown as { failures: number }).failures = 99;
    const status = await svc.write(batch(['b']));
    expect(status.kind).toBe('memory-worker');
    expect(dumps).toBe(0);
    expect((await svc.dump()).events.map((e) => e.items[0]?.id)).toEqual(['b']);
  });
  it('forget() drops queued writes, erases, and does not reopen until the next write', async () => {
    let opens = 0;
    const svc = new StoreService(async () => { opens++; return new MemoryStore('indexeddb'); }, 'memory-worker');
    await svc.open(OPTS);
    await svc.write(batch(['a']));
    await svc.forget();
    expect((await svc.stats()).events).toBe(0);
    expect(opens).toBe(1);
    await svc.write(batch(['b']));
    expect(opens).toBe(2);
    expect((await svc.dump()).events.map((e) => e.items[0]?.id)).toEqual(['b']);
  });
});

describe('StoreService intake counters', () => {
  it('counts dropped fields by field and ignored pushes by kind across merged batches, keeps the newest 50 reasons, and forgets them on erase', async () => {
    const svc = new StoreService(async () => new MemoryStore('indexeddb'), 'memory-worker');
    await svc.open(OPTS);
    const ts = Date.now();
    const bad = (i: number): WriteBatch['calls'] => [['view_item', { items: [{ item_id: `A${i}`, price: 'cheap', index: -1 }] }, ts + i]];
    const pushes: WriteBatch['calls'] = [['gtm.js', {}, ts, 'push'], [undefined, null, ts, 'ecommerce'], ['page_view', {}, ts, 'push']];
    await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => svc.write({ calls: bad(i), events: [], rejections: [], consent: [] })),
      svc.write({ calls: pushes, events: [], rejections: [], consent: [] }),
    ]);
    const s = await svc.stats();
    expect(s.events).toBe(30);
    expect(s.droppedFields.total).toBe(60);
    expect(s.droppedFields.byField).toEqual({ 'items[].price': 30, 'items[].index': 30 });
    expect(s.droppedFields.recent).toHaveLength(50);
    expect(s.droppedFields.recent.at(-1)).toMatchObject({ event: 'view_item', ts: ts + 29, field: 'items[].price' });
    expect(s.ignored).toEqual({ total: 3, byKind: { gtm: 1, ecommerce_clear: 1, not_ecommerce: 1 } });
    await svc.forget();
    const after = await svc.stats();
    expect([after.droppedFields.total, after.ignored.total]).toEqual([0, 0]);
  });
});

describe('StoreService with the stored-event check (as in the worker)', () => {
  it('stores well-formed events and turns malformed ones into counted rejections', async () => {
    const { storedEventProblem } = await import('./events/index.js');
    const svc = new StoreService(async () => new MemoryStore('indexeddb'), 'memory-worker', storedEventProblem);
    await svc.open(OPTS);
    const bad = { v: 1, type: 'view_item', ts: 1, items: [{ id: 'x', name: 'leaked product name' }] } as unknown as PerchEvent;
    await svc.write({ events: [ev('good'), bad], rejections: [], consent: [] });
    const stats = await svc.stats();
    expect(stats.events).toBe(1);
    expect(stats.rejected.total).toBe(1);
    expect(stats.rejected.recent[0]?.reason).toMatch(/^refused by the worker: /);
  });
});

describe('StoreService.forgetEvents (per-event delete)', () => {
  const ids = async (svc: StoreService) => {
    const d = await svc.dump();
    return d.events.map((e, i) => [d.eventIds?.[i], e.items[0]?.id] as const);
  };

  it('deletes exactly the given ids; the others keep their ids', async () => {
    const svc = new StoreService(async () => new MemoryStore('indexeddb'), 'memory-worker');
    await svc.open(OPTS);
    await svc.write(batch(['a', 'b', 'c']));
    const before = await ids(svc);
    expect(before.map(([, item]) => item)).toEqual(['a', 'b', 'c']);
    const idB = before[1]![0]!;
    const r = await svc.forgetEvents([idB, idB, 999]);
    expect(r).toEqual({ deleted: [idB], missing: [999] });
    expect(await ids(svc)).toEqual([before[0], before[2]]);
    // Ids are never reused: a new event gets a fresh one.
    await svc.write(batch(['d']));
    const after = await ids(svc);
    expect(after.map(([, item]) => item)).toEqual(['a', 'c', 'd']);
    expect(new Set(after.map(([id]) => id)).size).toBe(3);
    expect(after.map(([id]) => id)).not.toContain(idB);
  });

  it('commits writes queued before the call, so an id just written is found', async () => {
    const svc = new StoreService(async () => new MemoryStore('indexeddb'), 'memory-worker');
    await svc.open(OPTS);
    void svc.write(batch(['a']));
    const r = await svc.forgetEvents([1]);
    expect(r.deleted).toEqual([1]);
    expect((await svc.stats()).events).toBe(0);
  });

  it('ids survive count retention and a move to memory', async () => {
    const store = new FlakyStore(0, new Error('disk on fire'));
    const svc = new StoreService(async () => store, 'memory-worker');
    await svc.open({ ...OPTS, retention: { maxEvents: 3, maxAgeDays: 90 } });
    await svc.write(batch(['a', 'b', 'c', 'd', 'e']));
    const kept = await ids(svc);
    expect(kept.map(([, item]) => item)).toEqual(['c', 'd', 'e']);
    (store as unknown as { failures: number }).failures = 99;
    expect((await svc.write(batch(['f']))).kind).toBe('memory-worker');
    const moved = await ids(svc);
    expect(moved.slice(0, 2)).toEqual(kept.slice(1));
    const r = await svc.forgetEvents([kept[1]![0]!, kept[0]![0]!]);
    expect(r).toEqual({ deleted: [kept[1]![0]], missing: [kept[0]![0]] });
    expect((await ids(svc)).map(([, item]) => item)).toEqual(['e', 'f']);
  });

  it('after forget(): every id is missing and nothing is reopened', async () => {
    let opens = 0;
    const svc = new StoreService(async () => { opens++; return new MemoryStore('indexeddb'); }, 'memory-worker');
    await svc.open(OPTS);
    await svc.write(batch(['a']));
    await svc.forget();
    expect(await svc.forgetEvents([1])).toEqual({ deleted: [], missing: [1] });
    expect(opens).toBe(1);
  });

  it('refuses ids that are not positive integers, without touching the store', async () => {
    const svc = new StoreService(async () => new MemoryStore('indexeddb'), 'memory-worker');
    await svc.open(OPTS);
    await svc.write(batch(['a']));
    for (const bad of [[], [0], [-1], [1.5], ['1'], [Number.NaN], null, 'x', { length: 1, 0: 1 }]) {
      await expect(svc.forgetEvents(bad as never)).rejects.toThrow(TypeError);
    }
    expect((await svc.stats()).events).toBe(1);
  });
});

describe('readEventIds', () => {
  it('deduplicates valid ids in order and explains every refusal', async () => {
    const { readEventIds, MAX_FORGET_IDS } = await import('./event-ids.js');
    expect(readEventIds([3, 1, 3])).toEqual({ ids: [3, 1] });
    expect(readEventIds(undefined)).toEqual({ problem: expect.stringMatching(/must be an array/) });
    expect(readEventIds([])).toEqual({ problem: expect.stringMatching(/empty/) });
    expect(readEventIds([1, 2 ** 53])).toEqual({ problem: expect.stringMatching(/eventIds\[1\]/) });
    expect(readEventIds(new Array(MAX_FORGET_IDS + 1).fill(1))).toEqual({ problem: expect.stringMatching(/at most/) });
    const hostile = new Proxy([1], { get: () => { throw new Error('trap'); } });
    expect(readEventIds(hostile)).toEqual({ problem: expect.stringMatching(/unreadable/) });
  });
});
