// The demo store's page logic: hash routes, tracking of shopper actions, consent banner.
import { perch } from './perch.ts';
import { allItems, cart, categories, ga4, getItem, loadCatalog, popular, related, search, setCart } from './store.ts';
import { esc, picture } from './views/card.ts';
import { renderList } from './views/list.ts';
import { renderAudit } from './views/audit.ts';

const main = document.getElementById('main')!;
const params = new URLSearchParams(location.search);
const mode = params.get('mode') === 'federated' ? 'federated' : 'on-device';

function section(): HTMLElement {
  const s = document.createElement('div');
  main.appendChild(s);
  return s;
}

async function home(): Promise<void> {
  main.innerHTML = '<h1 class="sr-only">Home</h1>';
  await renderList(section(), 'Popular now', 'home_popular', popular(allItems(), 12));
  for (const cat of categories().slice(0, 3)) {
    await renderList(section(), `Top in ${cat}`, `home_${cat}`, popular(allItems().filter((c) => c.category === cat), 12));
  }
}

async function category(name: string): Promise<void> {
  main.innerHTML = `<nav class="cats">${categories().map((c) => `<a href="#/category/${encodeURIComponent(c)}" ${c === name ? 'aria-current="page"' : ''}>${esc(c)}</a>`).join('')}</nav>`;
  await renderList(section(), name, `category_${name}`, popular(allItems().filter((c) => c.category === name), 48));
}

async function searchPage(q: string): Promise<void> {
  const results = search(q);
  perch().track('search', { search_term: q });
  main.innerHTML = '';
  if (!results.length) {
    main.innerHTML = `<p class="empty">No products match “${esc(q)}”.</p>`;
    return;
  }
  await renderList(section(), `Results for “${q}”`, 'search_results', results);
}

async function product(id: string): Promise<void> {
  const c = getItem(id);
  if (!c) {
    main.innerHTML = '<p class="empty">This product does not exist.</p>';
    return;
  }
  perch().track('view_item', { items: [ga4(c, 0, 'product_page')] });
  main.innerHTML = `<article class="product">
    <img src="${picture(c, 320)}" alt="" width="320" height="320" />
    <div><p class="crumbs">${c.categoryPath.map(esc).join(' › ')}</p><h1>${esc(c.name)}</h1>
    <p class="brand">${c.brand ? `by ${esc(c.brand)}` : ''}</p><p class="price">$${c.price.toFixed(2)}</p>
    <button type="button" class="add primary" data-add="${esc(c.id)}">Add to cart</button></div></article>`;
  await renderList(section(), 'Customers also viewed', 'also_viewed', related(c));
}

async function cartPage(): Promise<void> {
  const items = Object.entries(cart()).map(([id, qty]) => ({ c: getItem(id), qty })).filter((x) => x.c);
  perch().track('view_cart', { items: items.map((x, i) => ({ ...ga4(x.c!, i, 'cart'), quantity: x.qty })) });
  const total = items.reduce((s, x) => s + x.c!.price * x.qty, 0);
  main.innerHTML = `<h1>Your cart</h1>${items.length ? `<ul class="cart">${items.map((x) => `<li>${esc(x.c!.name)} × ${x.qty} <button type="button" data-remove="${esc(x.c!.id)}">Remove</button></li>`).join('')}</ul>
    <p class="total">Total $${total.toFixed(2)}</p><button type="button" id="checkout" class="primary">Checkout</button>` : '<p class="empty">Your cart is empty.</p>'}`;
  const seed = items[0]?.c;
  if (seed) await renderList(section(), 'You may also like', 'cart_suggestions', related(seed));
}

async function route(): Promise<void> {
  const [, page = '', arg = ''] = location.hash.split('/').map(decodeURIComponent);
  if (page === 'category') await category(arg);
  else if (page === 'search') await searchPage(arg);
  else if (page === 'product') await product(arg);
  else if (page === 'cart') await cartPage();
  else if (page === 'audit') await renderAudit(main);
  else await home();
  main.focus({ preventScroll: true });
}

document.addEventListener('click', (e) => {
  const t = e.target as HTMLElement;
  const add = t.closest<HTMLElement>('[data-add]')?.dataset.add;
  if (add) {
    const c = getItem(add);
    if (!c) return;
    const next = cart();
    next[add] = (next[add] ?? 0) + 1;
    setCart(next);
    perch().track('add_to_cart', { items: [{ ...ga4(c, 0, 'cart'), quantity: 1 }] });
    return;
  }
  const remove = t.closest<HTMLElement>('[data-remove]')?.dataset.remove;
  if (remove) {
    const c = getItem(remove);
    const next = cart();
    delete next[remove];
    setCart(next);
    if (c) perch().track('remove_from_cart', { items: [ga4(c, 0, 'cart')] });
    void cartPage();
    return;
  }
  if (t.id === 'checkout') {
    const items = Object.entries(cart()).map(([id, qty], i) => ({ ...ga4(getItem(id)!, i, 'cart'), quantity: qty }));
    perch().track('begin_checkout', { items });
    perch().track('purchase', { transaction_id: `demo-${Date.now()}`, items });
    setCart({});
    main.innerHTML = '<h1>Thank you!</h1><p>Your (pretend) order is placed.</p>';
    return;
  }
  const link = t.closest<HTMLElement>('.card-link')?.closest<HTMLElement>('.card');
  if (link) {
    const c = getItem(link.dataset.itemId ?? '');
    if (c) perch().track('select_item', { item_list_id: link.dataset.listId, items: [ga4(c, Number(link.dataset.index), link.dataset.listId ?? '')] });
  }
});

document.getElementById('search-form')!.addEventListener('submit', (e) => {
  e.preventDefault();
  const q = (document.getElementById('q') as HTMLInputElement).value.trim();
  if (q) location.hash = `#/search/${encodeURIComponent(q)}`;
});

function consentBanner(): void {
  const banner = document.getElementById('consent-banner')!;
  const choice = params.get('consent') ?? localStorage.getItem('demo-consent');
  const apply = (c: string) => {
    localStorage.setItem('demo-consent', c);
    banner.hidden = true;
    if (c === 'all') perch().consent.set({ storage: 'granted', personalization: 'granted', training: mode === 'federated' ? 'granted' : 'denied' });
    else if (c === 'device') perch().consent.set({ storage: 'granted', personalization: 'granted', training: 'denied' });
    else perch().consent.set({ storage: 'denied', personalization: 'denied', training: 'denied' });
  };
  if (choice === 'all' || choice === 'none' || choice === 'device') apply(choice);
  else banner.hidden = false;
  document.getElementById('consent-all')!.onclick = () => apply('all');
  document.getElementById('consent-device')!.onclick = () => apply('device');
  document.getElementById('consent-deny')!.onclick = () => apply('none');
}

perch().init({ mode, assetBase: '/perch/' });
consentBanner();
setCart(cart());
await loadCatalog();
window.addEventListener('hashchange', () => void route());
await route();
