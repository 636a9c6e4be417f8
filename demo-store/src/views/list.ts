// Every product list goes through perch.rerank(); the "compare" toggle shows the shop's order beside Perch's.
import { rerankOrKeep } from '../perch.ts';
import { ga4, getItem, type CatalogItem } from '../store.ts';
import { card, esc } from './card.ts';

export const view = { compare: new URLSearchParams(location.search).get('compare') === '1' };

export async function renderList(el: HTMLElement, title: string, listId: string, items: CatalogItem[]): Promise<void> {
  const shop = items.map((c, i) => ga4(c, i, listId));
  const r = await rerankOrKeep(shop, { listId });
  const perchOrder = r.items.map((x, pos) => ({ c: getItem(String(x.item.item_id))!, why: x.explanation, moved: x.originalIndex - pos })).filter((x) => x.c);
  const perchHtml = perchOrder.map((x, i) => card(x.c, { listId, index: i, why: x.why, moved: x.moved })).join('');
  const status = r.personalized ? 'Personalised by Perch on this device' : `Shop order (${esc(r.reason ?? 'not personalised')})`;
  if (!view.compare) {
    el.innerHTML = `<section class="list"><h2>${esc(title)}</h2><p class="status" data-personalized="${r.personalized}">${status}</p><ul class="grid" data-list="${esc(listId)}">${perchHtml}</ul></section>`;
    return;
  }
  const shopHtml = items.map((c, i) => card(c, { listId, index: i })).join('');
  el.innerHTML = `<section class="list compare"><h2>${esc(title)}</h2><div class="cols">
    <div><h3>Shop's default order</h3><ul class="grid" data-list="${esc(listId)}-default">${shopHtml}</ul></div>
    <div><h3>Perch order</h3><p class="status" data-personalized="${r.personalized}">${status}</p><ul class="grid" data-list="${esc(listId)}">${perchHtml}</ul></div>
  </div></section>`;
}
