/**
 * Attribution tokens: a short string per reranked item that the shop passes back on later `select_item`,
 * `add_to_cart` and `purchase` events (`attribution` property), so uplift can be measured on the device
 * without any user id. It says which rerank call, where the item was, where it was shown and whether the
 * model ordered the list. It passes the event boundary (≤ 64 characters, no '@', no '://').
 */

const PREFIX = 'prk1';

export interface Attribution {
  /** Random id of the rerank call (base 36). */
  call: string;
  originalIndex: number;
  shownIndex: number;
  personalized: boolean;
}

/** A random call id: 8 base-36 characters from `crypto.getRandomValues` (Math.random when unavailable). */
export function newCallId(): string {
  const a = new Uint32Array(2);
  if (globalThis.crypto?.getRandomValues) globalThis.crypto.getRandomValues(a);
  else { a[0] = Math.random() * 2 ** 32; a[1] = Math.random() * 2 ** 32; }
  return ((a[0] as number).toString(36) + (a[1] as number).toString(36)).slice(0, 8).padStart(8, '0');
}

/** `prk1-<call>-<original>-<shown>-<p|s>`. */
export function attributionToken(a: Attribution): string {
  return `${PREFIX}-${a.call}-${a.originalIndex}-${a.shownIndex}-${a.personalized ? 'p' : 's'}`;
}

/** Reads a token back (null when it is not one). */
export function parseAttribution(token: string): Attribution | null {
  const m = /^prk1-([0-9a-z]{1,16})-(\d{1,6})-(\d{1,6})-([ps])$/.exec(token);
  if (!m) return null;
  return { call: m[1] as string, originalIndex: Number(m[2]), shownIndex: Number(m[3]), personalized: m[4] === 'p' };
}
