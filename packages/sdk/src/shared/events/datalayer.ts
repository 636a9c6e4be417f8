/**
 * What one GTM dataLayer push means for Perch, decided in the worker (the page's bridge only copies the push:
 * `page/track/datalayer.ts`). A push becomes e-commerce calls for `validateEvent`, refusals with a reason, or
 * one "ignored" count of its kind; nothing is dropped without one of the three.
 *
 * Shapes understood:
 * - GA4 through GTM: `{ event: 'view_item', ecommerce: { items: [...] } }`, and a GA4 e-commerce name with its
 *   params at the top level (`{ event: 'view_item', items: [...] }`);
 * - gtag.js, which pushes its `arguments`: `['event', name, params]` (GA4 and UA-era gtag names), and its
 *   commands (`config`, `set`, `js`, `get`, `consent`), ignored;
 * - GTM's classic ecommerce: `transactionProducts` (with `sku`) at the top level → purchase;
 * - Universal Analytics Enhanced Ecommerce: an `ecommerce` object with `impressions`, `detail`, `click`, `add`,
 *   `remove`, `checkout`, `checkout_option`, `purchase`, `refund`, `promoView` or `promoClick`, under any event
 *   name (often a custom one, or a GA4 name over a UA payload). Each action becomes its GA4 event; several in
 *   one push give one event each, impressions first.
 * - a Segment e-commerce name, pushed or through gtag, read as `track()` reads it.
 * The mapping table is in the SDK README ("Tracking from GTM and gtag").
 */
import type { IgnoredKind } from '../../types.js';
import { Fail, clip } from './fields.js';
import { isEcommerceName } from './names.js';

export type { IgnoredKind };

/** A call to validate: the event name (GA4, UA-era gtag or Segment) and its props. */
export type MappedCall = [name: string, props: unknown];

/** What a push is: calls to validate and refusals (e-commerce), or a kind of ignored push. */
export type PushMeaning =
  | { calls: MappedCall[]; refusals: Array<{ fail: Fail; event: string }> }
  | { ignored: IgnoredKind };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * UA actions and what each becomes: a GA4 event, or why it is not stored. Read in this order, so that a push's
 * impressions come before its product action.
 */
const UA_ACTIONS: ReadonlyArray<readonly [string, string | { not: string }]> = [
  ['impressions', 'view_item_list'],
  ['detail', 'view_item'],
  ['click', 'select_item'],
  ['add', 'add_to_cart'],
  ['remove', 'remove_from_cart'],
  ['checkout', 'begin_checkout'],
  ['purchase', 'purchase'],
  ['checkout_option', { not: 'a checkout option (shipping or payment method) is not about products' }],
  ['refund', { not: 'a refund is an order correction, not shopping behaviour' }],
  ['promoView', { not: 'promotions are banners and campaigns, not products' }],
  ['promoClick', { not: 'promotions are banners and campaigns, not products' }],
];

/** Keys of an ecommerce object that carry no event of their own (currency for the page's other pushes). */
const ECOMMERCE_METADATA = new Set(['currencyCode', 'currency']);

/** A consent push: gtag's consent command (handled by the caller), or an event a CMP pushes. */
function isConsentEvent(name: string): boolean {
  return name.toLowerCase().indexOf('consent') >= 0 || name === 'OneTrustGroupsUpdated';
}

/** What an event name that is not e-commerce is counted as: GTM's own, consent, or other analytics. */
function ignoredKindOf(event: string): IgnoredKind {
  return event.startsWith('gtm.') ? 'gtm' : isConsentEvent(event) ? 'consent' : 'not_ecommerce';
}

/** The UA action `key` of `ec` as GA4 props, or why it is refused. */
function uaCall(key: string, ga4: string, action: unknown): MappedCall | Fail {
  if (key === 'impressions') {
    if (!Array.isArray(action)) return new Fail('invalid_type', `ecommerce.impressions must be an array, got ${action === null ? 'null' : typeof action}`);
    return [ga4, { items: action }];
  }
  if (!isObj(action)) return new Fail('invalid_type', `ecommerce.${key} must be an object, got ${action === null ? 'null' : Array.isArray(action) ? 'an array' : typeof action}`);
  const af = isObj(action.actionField) ? action.actionField : undefined;
  const props: Obj = { items: action.products ?? [] };
  if (key === 'checkout') {
    // A numbered step after the first is checkout progress; no step, or a named one ("Contact Information"),
    // is read as the checkout itself.
    const step = af?.step;
    const n = typeof step === 'number' ? step : typeof step === 'string' && step.trim() !== '' ? Number(step.trim()) : NaN;
    if (Number.isFinite(n) && n !== 1) {
      return new Fail('not_behaviour', `ecommerce.checkout step ${clip(String(n), 16)} is checkout progress, not stored (step 1 is stored as begin_checkout)`);
    }
  }
  if (key === 'purchase' && af !== undefined) props.value = af.revenue;
  return [ga4, props];
}

/** The UA action that goes with each GA4 type, for a GA4 name over a UA payload given to `track()`. */
const UA_ACTION_OF: Readonly<Record<string, string>> = {
  view_item_list: 'impressions', view_item: 'detail', select_item: 'click', add_to_cart: 'add',
  remove_from_cart: 'remove', begin_checkout: 'checkout', purchase: 'purchase',
};

/**
 * The props `track(type, props)` should read when a shop passed a dataLayer-shaped payload: the `ecommerce`
 * object of a whole push, and, inside it, the UA action that goes with `type` (its products as items, a purchase's
 * revenue as value). Undefined when `props` already carries items or a product, or has neither shape.
 */
export function unwrapTrackProps(type: string, props: Obj): Obj | undefined {
  if (props.items != null || props.products != null || props.item_id != null || props.product_id != null) return undefined;
  const ec = isObj(props.ecommerce) ? props.ecommerce : props;
  const key = UA_ACTION_OF[type];
  const action = key !== undefined ? ec[key] : undefined;
  if (key !== undefined && action != null) {
    const call = uaCall(key, type, action);
    if (!(call instanceof Fail)) return call[1] as Obj;
  }
  return ec !== props ? ec : undefined;
}

/** The meaning of an ecommerce object under `event` (a string, or undefined when the push has none). */
function ecommercePush(event: string | undefined, ec: Obj): PushMeaning {
  const out: PushMeaning = { calls: [], refusals: [] };
  const label = event ?? '(dataLayer ecommerce)';
  // A GA4 name with items wins: a push that carries both shapes is read once, as GA4.
  const ga4 = event !== undefined && isEcommerceName(event);
  if (ga4 && ec.items !== undefined && ec.items !== null) {
    out.calls.push([event, ec]);
    return out;
  }
  let actions = 0;
  for (const [key, meaning] of UA_ACTIONS) {
    const action = ec[key];
    if (action === undefined || action === null) continue;
    actions++;
    if (typeof meaning !== 'string') {
      out.refusals.push({ fail: new Fail('not_behaviour', `ecommerce.${key} is not stored: ${meaning.not}`), event: label });
      continue;
    }
    const call = uaCall(key, meaning, action);
    if (call instanceof Fail) out.refusals.push({ fail: call, event: label });
    else out.calls.push(call);
  }
  if (actions > 0) return out;
  if (ga4) {
    out.calls.push([event, ec]); // a GA4 name with no items: validation says what is missing, or keeps a search
    return out;
  }
  if (ec.items !== undefined && ec.items !== null) {
    const why = event === undefined ? 'has no event name' : `has the event name "${clip(event, 40)}", which is not a GA4 e-commerce event`;
    out.refusals.push({ fail: new Fail('unknown_event', `an ecommerce push with items ${why}; GA4 needs the event to know what happened`), event: label });
    return out;
  }
  if (Object.keys(ec).every((k) => ECOMMERCE_METADATA.has(k))) return { ignored: 'metadata' };
  out.refusals.push({
    fail: new Fail('unknown_event', `an ecommerce push with neither a GA4 e-commerce event name nor an Enhanced Ecommerce action (impressions, detail, click, add, remove, checkout, purchase)${event !== undefined ? `; its event is "${clip(event, 40)}"` : ''}`),
    event: label,
  });
  return out;
}

/**
 * How the page's bridge passed a push on (`page/track/datalayer.ts`), with the push's event name as the call's
 * name and, as its props:
 * - `ecommerce`: an object push with an `ecommerce` key, props its value (an object, or null for a clear);
 * - `push`: an object push without one, props its top-level `items`, `products` and `eventModel` (gtag's params as
 *   GTM records them), and the transaction of GTM's classic ecommerce (`transactionProducts`, `transactionTotal`);
 * - `gtag-event`: gtag('event', name, params), props the params; `gtag-consent`, `gtag-other`: other commands;
 * - `other`: a push that is not an object (a function, a string).
 * Each level sits at the top of the props, so the page's bounded copy keeps UA's products (ecommerce → action →
 * products → product) within its depth.
 */
export type PushVia = 'ecommerce' | 'push' | 'gtag-event' | 'gtag-consent' | 'gtag-other' | 'other';

const VIAS: ReadonlySet<string> = new Set<PushVia>(['ecommerce', 'push', 'gtag-event', 'gtag-consent', 'gtag-other', 'other']);

/** Whether a raw call's fourth element names a dataLayer push. */
export const isPushVia = (v: unknown): v is PushVia => typeof v === 'string' && VIAS.has(v);

/** The meaning of one dataLayer push as the bridge passed it on (see {@link PushVia}). Never throws on plain data. */
export function readPush(via: PushVia, name: unknown, props: unknown): PushMeaning {
  if (via === 'gtag-consent') return { ignored: 'consent' };
  if (via === 'gtag-other' || via === 'other') return { ignored: via === 'other' ? 'metadata' : 'gtag_command' };
  const event = typeof name === 'string' ? name : undefined;
  if (via === 'gtag-event') {
    if (event === undefined) {
      return { calls: [], refusals: [{ fail: new Fail('unknown_event', `gtag('event', …) needs an event name, got ${name === null ? 'null' : typeof name}`), event: '(gtag)' }] };
    }
    if (!isEcommerceName(event)) return { ignored: ignoredKindOf(event) };
    return { calls: [[event, props === null ? undefined : props]], refusals: [] };
  }
  if (via === 'ecommerce' && isObj(props)) return ecommercePush(event, props);
  // GTM's classic (pre-Enhanced) ecommerce: a transaction at the top level, sent with the page view or a custom
  // event (not under GTM's own gtm.* names, which some plugins reuse to repeat the same transaction).
  if (via === 'push' && isObj(props) && Array.isArray(props.transactionProducts) && !(event?.startsWith('gtm.') ?? false)) {
    return { calls: [['purchase', { items: props.transactionProducts, value: props.transactionTotal }]], refusals: [] };
  }
  // No ecommerce object: the ecommerce value was null (a clear) or not an object, or the push had none.
  const clear = via === 'ecommerce' && (props === null || props === undefined);
  if (event === undefined) return { ignored: clear ? 'ecommerce_clear' : 'metadata' };
  if (isEcommerceName(event)) {
    // A GA4 e-commerce name with its params at the top level or in gtag's `eventModel` (`push`), or with an
    // unusable ecommerce value.
    const top = via === 'push' && isObj(props) ? props : {};
    return { calls: [[event, isObj(top.eventModel) && top.items == null && top.products == null ? top.eventModel : top]], refusals: [] };
  }
  const kind = ignoredKindOf(event);
  return { ignored: kind === 'not_ecommerce' && clear ? 'ecommerce_clear' : kind };
}
