// The demo store's entry: Perch init (mode from the URL), consent banner, hash routes, click tracking.
import { perch } from './perch.js';
import { setCompare, settings } from './settings.js';
import { cart, ga4, getItem, loadCatalog, setCart } from './store.js';
import { renderAudit } from './views/audit.js';
import { consentBanner, withdraw } from './views/consent.js';
import { refreshIntent } from './views/intent.js';
import { cartPage, category, checkout, home, product, searchPage } from './views/pages.js';

const main = document.getElementById('main')!;

async function route(): Promise<void> {
  const [, page = '', arg = ''] = location.hash.split('/').map(decodeURIComponent);
  document.body.dataset.page = page || 'home';
  if (page === 'category') await category(main, arg);
  else if (page === 'search') await searchPage(main, arg);
  else if (page === 'product') await product(main, arg);
  else if (page === 'cart') await cartPage(main);
  else if (page === 'checkout') checkout(main);
  else if (page === 'audit') await renderAudit(main);
  else await home(main);
  main.dataset.ready = location.hash || '#/';
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  refreshIntent();
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
    const cardEl = t.closest<HTMLElement>('.card');
    const listId = cardEl?.dataset.listId ?? 'product_page';
    perch().track('add_to_cart', { currency: 'USD', value: c.price, items: [{ ...ga4(c, Number(cardEl?.dataset.index ?? 0), listId), quantity: 1 }] });
    const btn = t.closest<HTMLButtonElement>('button');
    if (btn) {
      btn.textContent = 'Added ✓';
      setTimeout(() => (btn.textContent = 'Add to cart'), 1200);
    }
    refreshIntent();
    return;
  }
  const remove = t.closest<HTMLElement>('[data-remove]')?.dataset.remove;
  if (remove) {
    const c = getItem(remove);
    const next = cart();
    delete next[remove];
    setCart(next);
    if (c) perch().track('remove_from_cart', { items: [ga4(c, 0, 'cart')] });
    void cartPage(main);
    return;
  }
  const cardEl = t.closest<HTMLElement>('.card-link')?.closest<HTMLElement>('.card');
  if (cardEl) {
    const c = getItem(cardEl.dataset.itemId ?? '');
    if (c) perch().track('select_item', { item_list_id: cardEl.dataset.listId, items: [ga4(c, Number(cardEl.dataset.index), cardEl.dataset.listId ?? '')] });
  }
});

main.addEventListener('purchased', () => {
  setCart({});
  refreshIntent();
});

document.getElementById('search-form')!.addEventListener('submit', (e) => {
  e.preventDefault();
  const q = (document.getElementById('q') as HTMLInputElement).value.trim();
  if (q) location.hash = `#/search/${encodeURIComponent(q)}`;
});

const compareBtn = document.getElementById('compare-toggle')!;
compareBtn.setAttribute('aria-pressed', String(settings.compare));
compareBtn.addEventListener('click', () => {
  setCompare(!settings.compare);
  compareBtn.setAttribute('aria-pressed', String(settings.compare));
  void route();
});
document.getElementById('withdraw-link')!.addEventListener('click', (e) => {
  e.preventDefault();
  void withdraw().then(() => route());
});
document.getElementById('mode-label')!.textContent = settings.mode === 'on-device' ? 'On-device only' : 'Federated';

// On-device mode: the model is a static asset of the store. Federated mode: the model comes from the
// aggregator (its manifest, verified like any model), so reranking uses the version the rounds train and
// publish, and a newer version is picked up when a round announces it; the store pins the aggregator's signing
// key, so only versions it signed, in its log, are used (and trained on).
perch().init({
  mode: settings.mode,
  assetBase: '/perch/',
  // Like a shop with Google Tag Manager: e-commerce pushed to window.dataLayer is read too (the audit page
  // shows what was ignored there, and why).
  dataLayer: true,
  ...(settings.mode === 'federated'
    ? { aggregatorUrl: settings.aggregatorUrl, modelUrl: `${settings.aggregatorUrl}/v1/model/manifest.json`, ...(settings.modelKeys.length ? { modelKeys: settings.modelKeys } : {}) }
    : settings.modelUrl ? { modelUrl: settings.modelUrl } : {}),
});
consentBanner();
setCart(cart());
await loadCatalog();
window.addEventListener('hashchange', () => void route());
await route();
