/**
 * Event names accepted by `track()`: GA4 recommended e-commerce events (canonical) and the Segment
 * e-commerce spec v2 names that have a GA4 equivalent (plus their v1 aliases). The table is in README.md.
 */
import type { EventType } from '../../types.js';
import { piiReason } from './fields.js';

/** Canonical GA4 events, and whether each needs at least one item with an id. */
export const NEEDS_ITEMS: Readonly<Record<EventType, boolean>> = {
  view_item_list: true,
  select_item: true,
  view_item: true,
  add_to_cart: true,
  remove_from_cart: true,
  view_cart: false, // an empty cart is still a cart view
  add_to_wishlist: true,
  begin_checkout: false, // some shops fire it before the cart contents are known
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

// Keys are lower-cased so "product viewed" and "Product Viewed" both match; a Map (not an object literal)
// so that names like "constructor" or "__proto__" never resolve through a prototype.
const BY_NAME = new Map<string, EventType>();
for (const t of Object.keys(NEEDS_ITEMS) as EventType[]) BY_NAME.set(t, t);
for (const [name, t] of SEGMENT_V2) {
  BY_NAME.set(name, t); // exact spelling: the common case, no lower-casing needed
  BY_NAME.set(name.toLowerCase(), t);
}
const UNSUPPORTED = new Set(SEGMENT_UNSUPPORTED.map((n) => n.toLowerCase()));

/** Longest event name looked up; longer strings are refused without lower-casing them. */
export const MAX_EVENT_NAME = 64;

/** Resolves a name to its GA4 event type; a string reason when it has none. */
export function resolveEventName(name: string): EventType | { reason: string } {
  if (name.length > MAX_EVENT_NAME) return { reason: `event name is ${name.length} characters; no known event is that long` };
  const exact = BY_NAME.get(name);
  if (exact !== undefined) return exact;
  const key = name.trim().toLowerCase();
  const t = BY_NAME.get(key);
  if (t !== undefined) return t;
  // Unknown names are echoed in the reason (kept in the audit log), so one that looks like an email or
  // URL is not repeated there.
  if (piiReason(key) !== null) return { reason: 'event name looks like personal data (an email or URL), not an event' };
  if (UNSUPPORTED.has(key)) return { reason: `Segment event "${name}" has no GA4 e-commerce equivalent that Perch uses` };
  return { reason: `"${name}" is not a GA4 e-commerce event or a supported Segment e-commerce v2 event` };
}

/** Every accepted Segment name with its GA4 type (for docs and tests). */
export const SEGMENT_EVENTS: ReadonlyArray<readonly [string, EventType]> = SEGMENT_V2;
export const SEGMENT_UNSUPPORTED_EVENTS: readonly string[] = SEGMENT_UNSUPPORTED;
