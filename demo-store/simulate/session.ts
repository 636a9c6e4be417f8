/**
 * Drives the built demo store in Chromium like a shopper: product pages and "Add to cart" through the page's
 * own links and buttons, listings read from the side-by-side view (`?compare=1`), which renders the shop's
 * default order and Perch's order of the same list at once. Only the public `window.perch` is touched, to
 * wait for the model, flush, and erase between shoppers (`forget()`, as the store's "Delete all" does).
 */
import type { Page } from 'playwright';

type PW = Window & { perch: { loaded?: boolean; flush(): Promise<void>; forget(): Promise<unknown>; audit(): Promise<{ model: { version: string | null } }> } };

export interface Listing {
  listId: string;
  /** Item ids as shown, in the shop's default order and in Perch's order. */
  default: string[];
  perch: string[];
  /** Whether Perch's column was reranked by the model (else the shop's order, with `reason`). */
  personalized: boolean;
  reason: string;
  /** Renders needed before Perch's column was personalised (a render can miss the time budget). */
  renders: number;
}

/** Goes to `hash` inside the app (re-rendering if it is the current route) and waits for the render. */
export async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate(async (h) => {
    const main = document.getElementById('main') as HTMLElement;
    delete main.dataset.ready;
    const now = location.hash || '#/';
    if (now === h) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = h;
    const t0 = performance.now();
    while (main.dataset.ready !== (location.hash || '#/')) {
      if (performance.now() - t0 > 15_000) throw new Error(`route ${h} did not render`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }, hash);
}

/** Opens the store with every consent, on-device mode and the side-by-side view; waits for the model. */
export async function openStore(page: Page, origin: string): Promise<string> {
  await page.goto(`${origin}/?mode=on-device&consent=all&compare=1#/`);
  await page.waitForFunction(() => (window as unknown as PW).perch?.loaded === true && document.getElementById('main')?.dataset.ready === '#/');
  for (const t0 = Date.now(); Date.now() - t0 < 120_000; await page.waitForTimeout(250)) {
    const version = await page.evaluate(async () => (await (window as unknown as PW).perch.audit()).model.version);
    if (version) return version;
  }
  throw new Error('the store did not load its model within 2 minutes');
}

/** Erases the previous shopper: Perch's data (`forget()`) and the shop's cart. */
export async function nextShopper(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await (window as unknown as PW).perch.forget();
    localStorage.removeItem('demo-cart');
  });
}

/** Views each item's product page and adds it to the cart (the data's interactions are reviews of purchases). */
export async function browse(page: Page, items: readonly string[]): Promise<void> {
  // One round trip for the whole history: follow each product link, wait for the page, press "Add to cart".
  await page.evaluate(async (ids) => {
    const main = document.getElementById('main') as HTMLElement;
    for (const id of ids) {
      const h = `#/product/${encodeURIComponent(id)}`;
      delete main.dataset.ready;
      // The same product twice in a row (a repeat purchase) is no hash change: re-render it.
      if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange'));
      else location.hash = h;
      const t0 = performance.now();
      while (main.dataset.ready !== location.hash) {
        if (performance.now() - t0 > 15_000) throw new Error(`product ${id} did not render`);
        await new Promise((r) => setTimeout(r, 5));
      }
      (document.querySelector('.product [data-add]') as HTMLButtonElement | null)?.click();
    }
    await (window as unknown as PW).perch.flush();
  }, [...items]);
}

/** Opens a listing and reads both orders; re-renders (at most `tries` times) until Perch's column is personalised. */
export async function readListing(page: Page, hash: string, listId: string, tries = 3): Promise<Listing> {
  let out: Omit<Listing, 'renders'> | undefined;
  let renders = 0;
  while (renders < tries) {
    await go(page, hash);
    renders++;
    // No helper functions inside: tsx would wrap them in a `__name` call the page does not have.
    out = await page.evaluate((id) => {
      const status = document.querySelector(`ul[data-list="${id}"]`)?.previousElementSibling as HTMLElement | null;
      return {
        listId: id,
        default: [...document.querySelectorAll<HTMLElement>(`ul[data-list="${id}-default"] .card`)].map((e) => e.dataset.itemId ?? ''),
        perch: [...document.querySelectorAll<HTMLElement>(`ul[data-list="${id}"] .card`)].map((e) => e.dataset.itemId ?? ''),
        personalized: status?.dataset.personalized === 'true',
        reason: status?.textContent ?? 'list not found',
      };
    }, listId);
    if (out.personalized) break;
  }
  return { ...(out as Omit<Listing, 'renders'>), renders };
}
