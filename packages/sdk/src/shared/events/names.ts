/**
 * Event names accepted by `track()`: GA4 recommended e-commerce events (canonical) and the Segment
 * e-commerce spec v2 names that have a GA4 equivalent (plus their v1 aliases). The table is in README.md.
 * E-commerce events that are not shopping behaviour (refunds, promotions, checkout progress, coupons) are
 * refused with `not_behaviour` and a reason naming them, not as unknown.
 */
import type { EventType, RejectCode } from '../../types.js';
import { piiReason } from './fields.js';

/** Canonical GA4 events, and whether each needs at least one item with an id. */
export const NEEDS_ITEMS: Readonly<Record<EventType, boolean>> = {
  view_item_list: true,
  select_item: true,
  view_item: true,
  add_to_cart: true,
  remove_from_cart: true,
  view_cart: true, // an empty cart view says nothing about products
  add_to_wishlist: true,
  begin_checkout: true, // a checkout without items says nothing about products either
  purchase: true,
  search: false, // the search term itself is never stored; the event marks intent
  view_search_results: false, // zero results is a valid outcome
};

const SEGMENT_V2: ReadonlyArray<readonly [string, EventType]> = [
  ['Products Searched', 'search'],
  ['Product List Viewed', 'view_item_list'],
  // GA4 has no filter event; a filtered list is a new impression of the list.
  ['Product List Filtered', 'view_item_list'],
  ['Product Clicked', 'select_item'],
  ['Product Viewed', 'view_item'],
  ['Product Added', 'add_to_cart'],
  ['Product Removed', 'remove_from_cart'],
  ['Cart Viewed', 'view_cart'],
  ['Checkout Started', 'begin_checkout'],
  ['Order Completed', 'purchase'],
  ['Product Added to Wishlist', 'add_to_wishlist'],
  ['Wishlist Product Added to Cart', 'add_to_cart'],
  // E-commerce v1 names that Segment documents as aliases of the v2 events above.
  ['Viewed Product Category', 'view_item_list'],
  ['Clicked Product', 'select_item'],
  ['Viewed Product', 'view_item'],
  ['Added Product', 'add_to_cart'],
  ['Removed Product', 'remove_from_cart'],
  ['Viewed Cart', 'view_cart'],
  ['Started Checkout', 'begin_checkout'],
  ['Completed Order', 'purchase'],
];

/** Segment v2 events with no Perch meaning: refused with a specific reason rather than "unknown". */
const SEGMENT_UNSUPPORTED: readonly string[] = [
  'Promotion Viewed', 'Promotion Clicked', 'Checkout Step Viewed', 'Checkout Step Completed',
  'Payment Info Entered', 'Order Updated', 'Order Refunded', 'Order Cancelled', 'Coupon Entered',
  'Coupon Applied', 'Coupon Denied', 'Coupon Removed', 'Product Removed from Wishlist', 'Product Shared',
  'Cart Shared', 'Product Reviewed',
];

/**
 * GA4 (and UA-era gtag.js) e-commerce events that are not shopping behaviour Perch learns from, with why:
 * refused with `not_behaviour`. The dataLayer bridge forwards them so that they are refused with this reason.
 */
const GA4_NOT_BEHAVIOUR: ReadonlyArray<readonly [string, string]> = [
  ['refund', 'a refund is an order correction, not shopping behaviour'],
  ['view_promotion', 'promotions are banners and campaigns, not products'],
  ['select_promotion', 'promotions are banners and campaigns, not products'],
  ['add_shipping_info', 'checkout progress (shipping, payment) adds nothing to begin_checkout about products'],
  ['add_payment_info', 'checkout progress (shipping, payment) adds nothing to begin_checkout about products'],
  ['checkout_progress', 'checkout progress (shipping, payment) adds nothing to begin_checkout about products'],
  ['set_checkout_option', 'a checkout option (shipping or payment method) is not about products'],
  ['checkout_option', 'a checkout option (shipping or payment method) is not about products'],
  ['remove_from_wishlist', 'Perch stores wishlist additions only'],
];

// Keys are lower-cased so "product viewed" and "Product Viewed" both match; a Map (not an object literal)
// so that names like "constructor" or "__proto__" never resolve through a prototype.
const BY_NAME = new Map<string, EventType>();
for (const t of Object.keys(NEEDS_ITEMS) as EventType[]) BY_NAME.set(t, t);
for (const [name, t] of SEGMENT_V2) {
  BY_NAME.set(name, t); // exact spelling: the common case, no lower-casing needed
  BY_NAME.set(name.toLowerCase(), t);
}
const UNSUPPORTED = new Set(SEGMENT_UNSUPPORTED.map((n) => n.toLowerCase()));
const NOT_BEHAVIOUR = new Map(GA4_NOT_BEHAVIOUR);

/** UA-era gtag.js's product click: `select_content` with `content_type: 'product'` (resolved with the props). */
export const SELECT_CONTENT = 'select_content';

/** Why a name is refused: the code and a reason. */
export interface NameProblem { code: RejectCode; reason: string }

/** Longest event name looked up; longer strings are refused without lower-casing them. */
export const MAX_EVENT_NAME = 64;

/** Resolves a name to its GA4 event type; a code and reason when it has none. */
export function resolveEventName(name: string): EventType | NameProblem {
  if (name.length > MAX_EVENT_NAME) return { code: 'unknown_event', reason: `event name is ${name.length} characters; no known event is that long` };
  const exact = BY_NAME.get(name);
  if (exact !== undefined) return exact;
  const key = name.trim().toLowerCase();
  const t = BY_NAME.get(key);
  if (t !== undefined) return t;
  // Unknown names are echoed in the reason (kept in the audit log), so one that looks like an email or
  // URL is not repeated there.
  if (piiReason(key) !== null) return { code: 'unknown_event', reason: 'event name looks like personal data (an email or URL), not an event' };
  const why = NOT_BEHAVIOUR.get(key);
  if (why !== undefined) return { code: 'not_behaviour', reason: `${key} is not stored: ${why}` };
  if (UNSUPPORTED.has(key)) return { code: 'not_behaviour', reason: `Segment event "${name}" has no GA4 e-commerce equivalent that Perch uses` };
  return { code: 'unknown_event', reason: `"${name}" is not a GA4 e-commerce event or a supported Segment e-commerce v2 event` };
}

/**
 * Whether an event name is e-commerce that `track()` stores or refuses with a specific reason (GA4, UA-era
 * gtag, Segment, in any case), as opposed to other analytics (`page_view`, `login`, custom events) that the
 * dataLayer bridge counts as ignored.
 */
export function isEcommerceName(name: string): boolean {
  if (name.length > MAX_EVENT_NAME) return false;
  if (BY_NAME.has(name) || name === SELECT_CONTENT) return true;
  const key = name.trim().toLowerCase();
  return BY_NAME.has(key) || NOT_BEHAVIOUR.has(key) || UNSUPPORTED.has(key) || key === SELECT_CONTENT;
}

/** Every GA4 / gtag.js e-commerce name refused as not behaviour, with why (for docs and tests). */
export const NOT_BEHAVIOUR_EVENTS: ReadonlyArray<readonly [string, string]> = GA4_NOT_BEHAVIOUR;

/**
 * Segment events about one product, which may carry it at the top level. There, as in Segment's v1 spec, `id`
 * is the product's id; under GA4 names and other Segment events a top-level `id` may be an order's or a page's.
 */
const SEGMENT_SINGLE_PRODUCT = new Set([
  'product viewed', 'product clicked', 'product added', 'product removed', 'product added to wishlist',
  'wishlist product added to cart', 'viewed product', 'clicked product', 'added product', 'removed product',
]);

/** Whether a top-level `id` names the product (a Segment single-product event, v1 or v2). */
export function topLevelIdIsProduct(name: string): boolean {
  return name.length <= MAX_EVENT_NAME && SEGMENT_SINGLE_PRODUCT.has(name.trim().toLowerCase());
}

/** Every accepted Segment name with its GA4 type (for docs and tests). */
export const SEGMENT_EVENTS: ReadonlyArray<readonly [string, EventType]> = SEGMENT_V2;
export const SEGMENT_UNSUPPORTED_EVENTS: readonly string[] = SEGMENT_UNSUPPORTED;
