// The shop's pages. Each tracks what a shop would track (GA4 names) and renders its lists via renderList().
import { perch } from '../perch.js';
import { allItems, cart, categories, ga4, getItem, popular, related, search } from '../store.js';
import { esc, picture } from './card.js';
import { renderList } from './list.js';

const section = (main: HTMLElement): HTMLElement => main.appendChild(document.createElement('div'));
const catNav = (current = ''): string =>
  `<nav class="cats" aria-label="Categories">${categories().map((c) => `<a href="#/category/${encodeURIComponent(c)}" ${c === current ? 'aria-current="page"' : ''}>${esc(c)}</a>`).join('')}</nav>`;

export async function home(main: HTMLElement): Promise<void> {
  main.innerHTML = `<h1 class="sr-only">Home</h1>${catNav()}<div class="hero"><p><b>Beauty, ordered for you, on your device.</b> This shop uses Perch: what you browse stays in your browser and reorders the lists below.</p></div>`;
  await renderList(section(main), 'Popular now', 'home_popular', popular(allItems(), 12), { carousel: true });
  for (const cat of categories().slice(0, 3)) {
    await renderList(section(main), `Top in ${cat}`, `home_${cat}`, popular(allItems().filter((c) => c.category === cat), 12), { carousel: true });
  }
}

export async function category(main: HTMLElement, name: string): Promise<void> {
  const items = popular(allItems().filter((c) => c.category === name), 48);
  main.innerHTML = catNav(name);
  if (!items.length) return void main.insertAdjacentHTML('beforeend', '<p class="empty">No such category.</p>');
  await renderList(section(main), name, `category_${name}`, items);
}

export async function searchPage(main: HTMLElement, q: string): Promise<void> {
  const results = search(q);
  perch().track('search', { search_term: q });
  main.innerHTML = '';
  if (!results.length) return void (main.innerHTML = `<p class="empty">No products match “${esc(q)}”.</p>`);
  perch().track('view_search_results', { search_term: q, items: results.slice(0, 12).map((c, i) => ga4(c, i, 'search_results')) });
  await renderList(section(main), `Results for “${q}”`, 'search_results', results);
}

export async function product(main: HTMLElement, id: string): Promise<void> {
  const c = getItem(id);
  if (!c) return void (main.innerHTML = '<p class="empty">This product does not exist.</p>');
  perch().track('view_item', { items: [ga4(c, 0, 'product_page')] });
  main.innerHTML = `<article class="product">
    <img src="${picture(c, 320)}" alt="Generated picture of ${esc(c.name)}" width="320" height="320" />
    <div><p class="crumbs"><a href="#/category/${encodeURIComponent(c.category)}">${esc(c.category)}</a>${c.categoryPath.slice(1).map((p) => ` › ${esc(p)}`).join('')}</p><h1>${esc(c.name)}</h1>
    <p class="brand">${c.brand ? `by ${esc(c.brand)}` : 'Unbranded'}</p><p class="price">$${c.price.toFixed(2)}</p>
    <button type="button" class="add primary big" data-add="${esc(c.id)}">Add to cart</button>
    <p class="muted small">Item ${esc(c.id)} of the Amazon Beauty data set. Name, price and picture are generated.</p></div></article>`;
  await renderList(section(main), 'Customers also viewed', 'also_viewed', related(c), { carousel: true });
}

function cartLines(): { c: NonNullable<ReturnType<typeof getItem>>; qty: number }[] {
  return Object.entries(cart()).flatMap(([id, qty]) => {
    const c = getItem(id);
    return c ? [{ c, qty }] : [];
  });
}

export async function cartPage(main: HTMLElement): Promise<void> {
  const lines = cartLines();
  // An empty cart view says nothing about products: Perch refuses it, so the shop does not send it.
  if (lines.length) perch().track('view_cart', { items: lines.map((x, i) => ({ ...ga4(x.c, i, 'cart'), quantity: x.qty })) });
  const total = lines.reduce((s, x) => s + x.c.price * x.qty, 0);
  main.innerHTML = `<h1>Your cart</h1>${lines.length ? `<ul class="cart">${lines.map((x) => `<li><img src="${picture(x.c, 56)}" alt="" width="56" height="56" /><a href="#/product/${encodeURIComponent(x.c.id)}">${esc(x.c.name)}</a><span>× ${x.qty}</span><span>$${(x.c.price * x.qty).toFixed(2)}</span><button type="button" data-remove="${esc(x.c.id)}" aria-label="Remove ${esc(x.c.name)}">Remove</button></li>`).join('')}</ul>
    <p class="total">Total $${total.toFixed(2)}</p><a class="button primary" href="#/checkout" id="to-checkout">Checkout</a>` : '<p class="empty">Your cart is empty. <a href="#/">Keep shopping</a></p>'}`;
  const seed = lines[lines.length - 1]?.c;
  const inCart = new Set(lines.map((x) => x.c.id));
  if (seed) await renderList(section(main), 'You may also like', 'cart_suggestions', related(seed, 16).filter((c) => !inCart.has(c.id)).slice(0, 12), { carousel: true });
}

export function checkout(main: HTMLElement): void {
  const lines = cartLines();
  if (!lines.length) return void (main.innerHTML = '<h1>Checkout</h1><p class="empty">Your cart is empty.</p>');
  const items = lines.map((x, i) => ({ ...ga4(x.c, i, 'cart'), quantity: x.qty }));
  const value = lines.reduce((s, x) => s + x.c.price * x.qty, 0);
  perch().track('begin_checkout', { currency: 'USD', value, items });
  main.innerHTML = `<h1>Checkout</h1><form id="checkout-form" class="checkout">
    <p>${lines.length} product${lines.length > 1 ? 's' : ''}, total <b>$${value.toFixed(2)}</b>. This is a demo: no payment, no address.</p>
    <button type="submit" class="primary big" id="place-order">Place order</button></form>`;
  document.getElementById('checkout-form')!.addEventListener('submit', (e) => {
    e.preventDefault();
    perch().track('purchase', { transaction_id: `demo-${lines.length}-${Math.round(value)}`, currency: 'USD', value, items });
    main.dispatchEvent(new CustomEvent('purchased'));
    main.innerHTML = '<h1>Thank you!</h1><p>Your (pretend) order is placed. <a href="#/">Back to the shop</a></p>';
  });
}
