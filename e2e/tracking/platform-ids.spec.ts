// Ids as real shops send them, through the real loader, worker and IndexedDB: Shopify global ids of products and
// variants, numeric ids and ids with leading zeros, UA-era gtag items (`id`, `list_position`) and Segment v1
// `products[].id`, both from track() and from GTM dataLayer / gtag pushes; a gid of a customer is refused with a
// reason in the audit, never stored.
import { boot, expect, test, type PerchWindow } from './fixtures.js';

test('platform and UA-era ids are stored as given from track() and the dataLayer; a customer gid is refused', async ({ page, server, errors }) => {
  await boot(page, server, { dbName: 'platform-ids', consent: { storage: 'granted' }, dataLayer: true });
  const out = await page.evaluate(async () => {
    const w = window as unknown as PerchWindow & { dataLayer: unknown[] };
    const p = w.perch;
    p.track('view_item', { items: [{ item_id: 'gid://shopify/Product/7982851178717', item_name: 'Tee' }] });
    p.track('add_to_cart', { items: [{ item_id: 'gid://shopify/ProductVariant/43747462070493', quantity: 1 }] });
    p.track('view_item_list', { items: [{ id: 'P12345', name: 'Android Warhol T-Shirt', list_name: 'Search Results', brand: 'Google', category: 'Apparel/T-Shirts', variant: 'Black', list_position: 2, price: '2.0' }] });
    p.track('Product List Viewed', { list_id: 'hot_deals_1', products: [{ id: '000123', sku: '45790-32', position: 1 }, { product_id: 4711 }] });
    p.track('view_item', { items: [{ item_id: 'gid://shopify/Customer/6276363255965' }] });
    w.dataLayer.push({ ecommerce: null });
    w.dataLayer.push({ event: 'view_item', ecommerce: { items: [{ item_id: 'gid://shopify/Product/1001', item_brand: 'Acme' }] } });
    // gtag('event', …) pushes its arguments object
    (function gtag(..._a: unknown[]) { w.dataLayer.push(arguments); })('event', 'select_item', { items: [{ id: 'UA-7', list_position: 4 }] });
    await new Promise((r) => setTimeout(r, 300));
    await p.flush();
    const events = (await p.exportData()).events as Array<{ type: string; items: Array<Record<string, unknown>> }>;
    const audit = await p.audit();
    return { events: events.map((e) => [e.type, e.items]), rejected: audit.rejected };
  });
  expect(out.events).toEqual([
    ['view_item', [{ id: 'gid://shopify/Product/7982851178717' }]],
    ['add_to_cart', [{ id: 'gid://shopify/ProductVariant/43747462070493', quantity: 1 }]],
    ['view_item_list', [{ id: 'P12345', index: 2, category: 'Apparel/T-Shirts', brand: 'Google', priceBucket: 3 }]],
    ['view_item_list', [{ id: '000123', index: 1 }, { id: '4711' }]],
    ['view_item', [{ id: 'gid://shopify/Product/1001', brand: 'Acme' }]],
    ['select_item', [{ id: 'UA-7', index: 4 }]],
  ]);
  expect(out.rejected.total).toBe(1);
  expect(out.rejected.byCode).toEqual({ invalid_item: 1 });
  expect(out.rejected.recent[0]?.reason).toContain('identify a person');
  expect(JSON.stringify(out)).not.toContain('Customer/6276363255965');
  expect(errors).toEqual([]);
});
