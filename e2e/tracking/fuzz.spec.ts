// 10,000 random and hostile track() payloads: no page error, every accepted event stored, every refused
// one counted with a reason. Payloads are built in the page (Proxies, throwing getters, cycles cannot
// cross from Node) from a seeded generator, so a failure reproduces.
import { boot, expect, test, type PerchWindow } from './fixtures.js';

test('fuzz: 10,000 hostile payloads → 0 page errors, audit counts match', async ({ page, server, errors }) => {
  await boot(page, server, { dbName: 'fuzz', consent: { storage: 'granted' }, retention: { maxEvents: 20_000 } });
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    let seed = 0x5eed;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const pick = <T,>(a: T[]): T => a[Math.floor(rnd() * a.length)] as T;
    const cyc: Record<string, unknown> = { item_id: 'cyc' };
    cyc.self = cyc;
    const hostile = (): unknown => pick<() => unknown>([
      () => undefined, () => null, () => NaN, () => Infinity, () => -1, () => 1e308, () => 'x'.repeat(100_000),
      () => Symbol('s'), () => 10n, () => () => 1, () => [], () => [[[]]], () => ({}), () => cyc,
      () => new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { throw new Error('keys'); } }),
      () => Object.defineProperty({}, 'item_id', { get() { throw new Error('getter'); }, enumerable: true }),
      () => Object.create(null), () => new Date(), () => /re/, () => new Map([[1, 2]]), () => 'user@example.com',
      () => 'https://evil.example/x', () => '__proto__', () => ({ toString() { throw new Error('ts'); } }),
      () => 'ok-id', () => 42, () => '12.50', () => true,
    ])();
    const names = ['view_item', 'add_to_cart', 'purchase', 'select_item', 'view_item_list', 'search', 'Product Viewed',
      'Order Completed', 'remove_from_cart', 'begin_checkout', 'nope', '', 'constructor', '__proto__', 'x'.repeat(5000)];
    const makeItem = (): unknown => {
      if (rnd() < 0.15) return hostile();
      const it: Record<string, unknown> = { item_id: rnd() < 0.8 ? `sku-${Math.floor(rnd() * 500)}` : hostile() };
      if (rnd() < 0.4) it.price = rnd() < 0.8 ? Math.round(rnd() * 20000) / 100 : hostile();
      if (rnd() < 0.3) it.quantity = rnd() < 0.8 ? Math.floor(rnd() * 5) : hostile();
      if (rnd() < 0.3) it.item_category = rnd() < 0.8 ? pick(['Shoes', 'Hats', 'Bags']) : hostile();
      if (rnd() < 0.2) it[pick(['item_name', 'coupon', 'extra', '__proto__', 'constructor'])] = hostile();
      return it;
    };
    const makeProps = (): unknown => {
      const r = rnd();
      if (r < 0.1) return hostile();
      const props: Record<string, unknown> = {};
      const n = rnd() < 0.05 ? 300 : Math.floor(rnd() * 4);
      props.items = rnd() < 0.9 ? Array.from({ length: n }, makeItem) : hostile();
      if (rnd() < 0.3) props.value = rnd() < 0.7 ? rnd() * 500 : hostile();
      if (rnd() < 0.2) props.item_list_id = rnd() < 0.7 ? 'home' : hostile();
      if (rnd() < 0.1) props[pick(['email', 'user_id', 'transaction_id', 'search_term'])] = hostile();
      return props;
    };
    let accepted = 0;
    let refused = 0;
    let threw = 0;
    for (let i = 0; i < 10_000; i++) {
      const name = rnd() < 0.95 ? pick(names) : hostile();
      try {
        if (p.track(name as string, makeProps() as Record<string, unknown>)) accepted++;
        else refused++;
      } catch {
        threw++;
      }
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 0));
    }
    await p.flush();
    const audit = await p.audit();
    const data = await p.exportData();
    return { accepted, refused, threw, audit, stored: data.events.length, exported: JSON.stringify(data).length };
  });
  expect(out.threw).toBe(0);
  expect(out.accepted + out.refused).toBe(10_000);
  expect(out.accepted).toBeGreaterThan(1_000);
  expect(out.refused).toBeGreaterThan(1_000);
  expect(out.stored).toBe(out.accepted);
  expect(out.audit.storage.events).toBe(out.accepted);
  expect(Object.values(out.audit.counts).reduce((a, b) => a + (b ?? 0), 0)).toBe(out.accepted);
  expect(out.audit.rejected.total).toBe(out.refused);
  expect(Object.values(out.audit.rejected.byCode).reduce((a, b) => a + (b ?? 0), 0)).toBe(out.refused);
  expect(out.audit.rejected.recent.length).toBeGreaterThan(0);
  for (const r of out.audit.rejected.recent) {
    expect(typeof r.reason).toBe('string');
    expect(r.reason.length).toBeGreaterThan(0);
    expect(r.reason.length).toBeLessThan(500);
  }
  expect(errors).toEqual([]);
});
