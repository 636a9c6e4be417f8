// The fuzz suite's payloads: a seeded generator of random and hostile track() arguments. It runs twice
// with the same seed: in the page (Proxies, throwing getters and cycles cannot cross from Node), where
// the calls go to the real SDK, and in Node, where the expected outcome of each call is computed with the
// SDK's own page snapshot and event boundary. Self-contained (no imports, no closures): the page gets it
// as source text.

/** `n` [name, props] pairs from seed 0x5eed. */
export function fuzzCalls(n: number): Array<[unknown, unknown]> {
  let seed = 0x5eed;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pick = <T,>(a: T[]): T => a[Math.floor(rnd() * a.length)] as T;
  const cyc: Record<string, unknown> = { item_id: 'cyc' };
  cyc.self = cyc;
  const hostile = (): unknown => pick<() => unknown>([
    () => undefined, () => null, () => NaN, () => Infinity, () => -1, () => 1e308, () => 'x'.repeat(100_000),
    () => Symbol('s'), () => BigInt(10), () => () => 1, () => [], () => [[[]]], () => ({}), () => cyc,
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
    const k = rnd() < 0.05 ? 300 : Math.floor(rnd() * 4);
    props.items = rnd() < 0.9 ? Array.from({ length: k }, makeItem) : hostile();
    if (rnd() < 0.3) props.value = rnd() < 0.7 ? rnd() * 500 : hostile();
    if (rnd() < 0.2) props.item_list_id = rnd() < 0.7 ? 'home' : hostile();
    if (rnd() < 0.1) props[pick(['email', 'user_id', 'transaction_id', 'search_term'])] = hostile();
    return props;
  };
  const out: Array<[unknown, unknown]> = [];
  for (let i = 0; i < n; i++) {
    const name = rnd() < 0.95 ? pick(names) : hostile();
    out.push([name, makeProps()]);
  }
  return out;
}
