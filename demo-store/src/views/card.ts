// Product cards with generated placeholder pictures (an SVG from the item's hue and initials).
import { getItem, type CatalogItem } from '../store.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function picture(c: CatalogItem, size = 160): string {
  const initials = c.name.split(/\s+/).slice(0, 2).map((w) => w[0] ?? '').join('');
  const svg = `<svg xmlns='http://www.w3.org/2000/svg' width='${size}' height='${size}' viewBox='0 0 100 100'><defs><linearGradient id='g' x1='0' y1='0' x2='1' y2='1'><stop offset='0' stop-color='hsl(${c.hue},60%,88%)'/><stop offset='1' stop-color='hsl(${(c.hue + 40) % 360},55%,70%)'/></linearGradient></defs><rect width='100' height='100' fill='url(#g)'/><rect x='36' y='22' width='28' height='58' rx='6' fill='hsl(${c.hue},35%,35%)' opacity='.85'/><rect x='40' y='14' width='20' height='10' rx='2' fill='hsl(${c.hue},20%,25%)'/><text x='50' y='58' font-family='sans-serif' font-size='12' fill='white' text-anchor='middle'>${esc(initials)}</text></svg>`;
  return `data:image/svg+xml;utf8,${encodeURIComponent(svg)}`;
}

/** Perch's explanations name item ids ("because you viewed 705"); the shop shows its own product names instead. */
function readable(why: string): string {
  return why.replace(/(you (?:bought|added|checked out with|saved|clicked|viewed)) ([^\s:()]+)/g, (m, verb: string, id: string) => {
    const name = getItem(id)?.name;
    return name ? `${verb} “${name}”` : m;
  });
}

export function card(c: CatalogItem, opts: { listId: string; index: number; why?: string; moved?: number }): string {
  const moved = opts.moved ? `<span class="moved ${opts.moved > 0 ? 'up' : 'down'}" title="position change">${opts.moved > 0 ? '▲' : '▼'}${Math.abs(opts.moved)}</span>` : '';
  return `<li class="card" data-item-id="${esc(c.id)}" data-list-id="${esc(opts.listId)}" data-index="${opts.index}" data-category="${esc(c.category)}">
    <a href="#/product/${encodeURIComponent(c.id)}" class="card-link">
      <img src="${picture(c)}" alt="" width="160" height="160" loading="lazy" decoding="async" />
      <span class="card-name">${esc(c.name)}</span>
    </a>
    <span class="card-meta">${esc(c.categoryPath.slice(-1)[0] ?? c.category)} · <b>$${c.price.toFixed(2)}</b>${moved}</span>
    ${opts.why ? `<details class="why" data-why="${esc(opts.why)}"><summary>Why here?</summary><span>${esc(readable(opts.why))}</span></details>` : ''}
    <button type="button" class="add" data-add="${esc(c.id)}">Add to cart</button>
  </li>`;
}

export { esc };
