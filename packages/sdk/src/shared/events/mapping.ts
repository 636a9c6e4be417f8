/**
 * `@perch/sdk/events`: how `track()` reads an event, for tools outside the browser that must read the same
 * behaviour the same way (the trainer's readers of analytics exports: `packages/cli/src/ingest/`). One
 * mapping, not two: these are the functions and tables `validateEvent` itself uses.
 *
 * - `resolveEventName`: a GA4, UA-era gtag or Segment e-commerce name → its GA4 event type, or the code and
 *   reason it is refused with (`not_behaviour` for e-commerce that is not shopping behaviour, `unknown_event`);
 * - `NEEDS_ITEMS`: which GA4 types need at least one item with an id;
 * - `ID_KEYS`, `CATEGORY_KEYS`, `BRAND_KEYS`: the item fields an id, a category (most specific first) and a
 *   brand are read from, in order;
 * - `storedName`: a category or brand as an item stores it (cut or refused as `track()` does);
 * - `priceBucket`: the bucket a price is stored as; `MAX_ID_LENGTH`, `MAX_SHORT_LENGTH`: the longest item id
 *   and category or brand an item keeps.
 */
export { resolveEventName, NEEDS_ITEMS, type NameProblem } from './names.js';
export { ID_KEYS, BRAND_KEYS, storedName } from './items.js';
export { CATEGORY_KEYS } from './keys.js';
export { priceBucket, MAX_ID_LENGTH, MAX_SHORT_LENGTH } from './fields.js';
export type { EventType } from '../../types.js';
