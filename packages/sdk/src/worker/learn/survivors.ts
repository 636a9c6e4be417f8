/**
 * The device's check, after a secure-aggregation round it released shares in, that the version published from that
 * round was made from the survivor set U3 it was asked to unmask for (docs/secure-aggregation.md, "The device checks
 * the published survivors").
 *
 * The aggregator signs, in the manifest of every such version, `hyperParameters.federated.secagg.survivors` (the
 * count) and `survivorsSha256` (SHA-256 of the JSON array of survivor ids, the list each survivor's unmask request
 * carried). A device that answered an unmask request remembers the count and hash of its U3 (which its state machine
 * already checked contains it); when it later sees the version its round published, it compares. A different set
 * means the aggregator told this device one survivor set and summed another: how an active aggregator collects both
 * shares of a device (t b-shares of u from some neighbours, t s-shares from others, each told a different U3). The
 * device cannot undo what it released, but it records the evidence (a signed manifest) and takes part in no further
 * secure-aggregation round of that aggregator.
 *
 * The version a round publishes is the one after the round's base version (one open round at a time; each published
 * round adds one version), so the device looks at exactly that version once the aggregator announces a later base.
 * If that version names another round, the device's round published nothing, and there is nothing to compare.
 */

/** What a device remembers of a round in which it released its unmasking shares. */
export interface SurvivorsExpected {
  /** Aggregator base URL. */
  aggregator: string;
  round: number;
  /** The round's base version: the version it publishes, if any, is the next one. */
  baseVersion: number;
  /** |U3| and SHA-256 (hex) of JSON.stringify(U3), as the unmask request listed it. */
  survivors: number;
  sha256: string;
}

/** An aggregator this device no longer takes part in secure-aggregation rounds of, and why. */
export interface SurvivorsDistrust { aggregator: string; round: number; reason: string }

/** Pending checks kept per device (the newest). */
export const MAX_SURVIVOR_CHECKS = 20;

const hex = (b: ArrayBuffer): string => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');

/** Count and SHA-256 of a survivor list, as the aggregator hashes it (`JSON.stringify` of the array). */
export async function survivorsDigest(ids: readonly string[]): Promise<{ survivors: number; sha256: string }> {
  const bytes = new TextEncoder().encode(JSON.stringify(ids));
  return { survivors: ids.length, sha256: hex(await crypto.subtle.digest('SHA-256', bytes)) };
}

export type SurvivorsVerdict =
  | { kind: 'match' }
  /** The version was published from another round: the device's round published nothing. */
  | { kind: 'other-round'; round: unknown }
  | { kind: 'mismatch'; reason: string };

/** Compares a published manifest's provenance (`hyperParameters`, untrusted shape) with what the device unmasked for. */
export function survivorsVerdict(e: SurvivorsExpected, hyperParameters: unknown, version: string): SurvivorsVerdict {
  const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined);
  const fed = obj(obj(hyperParameters)?.federated);
  if (fed?.round !== e.round) return { kind: 'other-round', round: fed?.round };
  const s = obj(fed.secagg);
  const what = `version ${version}, published from round ${e.round}`;
  if (!s || typeof s.survivorsSha256 !== 'string' || typeof s.survivors !== 'number') {
    return { kind: 'mismatch', reason: `${what}, states no survivor set; this device unmasked for ${e.survivors} survivors` };
  }
  if (s.survivors !== e.survivors || s.survivorsSha256 !== e.sha256) {
    return { kind: 'mismatch', reason: `${what}, was summed over ${s.survivors} survivors (SHA-256 ${s.survivorsSha256.slice(0, 16)}…), not the ${e.survivors} this device was asked to unmask for (${e.sha256.slice(0, 16)}…)` };
  }
  return { kind: 'match' };
}

/** The record's part this module keeps (persisted with the federated record). */
export interface SurvivorsState { survivorChecks?: SurvivorsExpected[]; distrusted?: SurvivorsDistrust[] }

/** Why secure-aggregation rounds of `aggregator` are refused on this device, or null. */
export function distrustOf(st: SurvivorsState, aggregator: string): SurvivorsDistrust | null {
  return st.distrusted?.find((d) => d.aggregator === aggregator) ?? null;
}

/** Remembers an unmasked round (before its shares leave). */
export function expectSurvivors(st: SurvivorsState, e: SurvivorsExpected): void {
  st.survivorChecks = [...(st.survivorChecks ?? []).filter((c) => !(c.aggregator === e.aggregator && c.round === e.round)), e].slice(-MAX_SURVIVOR_CHECKS);
}

/**
 * Runs the pending checks of `aggregator` whose round can have published by now (the announced base version is past
 * the round's base). `manifest(version)` fetches a version's manifest and verifies it (signature, log) or throws; a
 * check whose manifest cannot be had stays pending for the next poll. Returns the mismatches found, each of which
 * also distrusts the aggregator.
 */
export async function runSurvivorChecks(st: SurvivorsState, aggregator: string, announcedBase: number,
  manifest: (version: number) => Promise<{ hyperParameters?: unknown; modelVersion: string }>): Promise<SurvivorsDistrust[]> {
  const found: SurvivorsDistrust[] = [];
  for (const c of [...(st.survivorChecks ?? [])]) {
    if (c.aggregator !== aggregator || !(announcedBase > c.baseVersion)) continue;
    let m: { hyperParameters?: unknown; modelVersion: string };
    try { m = await manifest(c.baseVersion + 1); } catch { continue; }
    const v = survivorsVerdict(c, m.hyperParameters, m.modelVersion);
    st.survivorChecks = (st.survivorChecks ?? []).filter((x) => x !== c);
    if (v.kind !== 'mismatch') continue;
    const d = { aggregator, round: c.round, reason: v.reason };
    if (!distrustOf(st, aggregator)) st.distrusted = [...(st.distrusted ?? []), d];
    found.push(d);
  }
  return found;
}
