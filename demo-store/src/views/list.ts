// Every product list goes through perch.rerank(); the "compare" toggle shows the shop's order beside Perch's,
// with each item's move and Perch's explanation ("why here?").
import type { RerankResult } from '@perch/sdk';
import { rerankOrKeep } from '../perch.js';
import { settings } from '../settings.js';
import { ga4, getItem, type CatalogItem } from '../store.js';
import { card, esc } from './card.js';

/** Renders `items` (the shop's order, ≤ 48) into `el`, in Perch's order, or both orders side by side. */
export async function renderList(el: HTMLElement, title: string, listId: string, items: CatalogItem[], opts: { carousel?: boolean } = {}): Promise<void> {
  const shop = items.map((c, i) => ga4(c, i, listId));
  const r = await rerankOrKeep(shop, { listId });
  paint(el, title, listId, items, opts, r);
  // The first rerank after a page load can miss its time budget while the worker warms its model up: the
  // shop's order shows at once, and Perch's replaces it once, a moment later, if the list is still on screen.
  if (!r.personalized && /^timeout/.test(r.reason ?? '')) {
    setTimeout(() => {
      if (!el.isConnected) return;
      void rerankOrKeep(shop, { listId }).then((again) => {
        if (again.personalized && el.isConnected) paint(el, title, listId, items, opts, again);
      });
    }, 300);
  }
}

function paint(el: HTMLElement, title: string, listId: string, items: CatalogItem[], opts: { carousel?: boolean }, r: RerankResult<ReturnType<typeof ga4>>): void {
  const perchOrder = r.items.map((x, pos) => ({ c: getItem(String(x.item.item_id))!, why: x.explanation, moved: x.originalIndex - pos })).filter((x) => x.c);
  const perchHtml = perchOrder.map((x, i) => card(x.c, { listId, index: i, why: x.why, moved: settings.compare ? x.moved : 0 })).join('');
  const status = r.personalized ? 'Personalised by Perch on this device' : `Shop's order (${esc(r.reason ?? 'not personalised')})`;
  const layout = opts.carousel && !settings.compare ? 'grid carousel' : 'grid';
  if (!settings.compare) {
    el.innerHTML = `<section class="list" aria-labelledby="h-${esc(listId)}"><h2 id="h-${esc(listId)}">${esc(title)}</h2><p class="status" data-personalized="${r.personalized}">${status}</p><ul class="${layout}" data-list="${esc(listId)}">${perchHtml}</ul></section>`;
    return;
  }
  const shopHtml = items.map((c, i) => card(c, { listId, index: i })).join('');
  el.innerHTML = `<section class="list compare" aria-labelledby="h-${esc(listId)}"><h2 id="h-${esc(listId)}">${esc(title)}</h2><div class="cols">
    <div><h3>Shop's default order</h3><p class="status">As the shop sorts it (popularity)</p><ul class="grid" data-list="${esc(listId)}-default">${shopHtml}</ul></div>
    <div><h3>Perch's order</h3><p class="status" data-personalized="${r.personalized}">${status}</p><ul class="grid" data-list="${esc(listId)}">${perchHtml}</ul></div>
  </div></section>`;
}
