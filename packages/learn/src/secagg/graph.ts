/**
 * The neighbour graph of a round: the Harary graph H(n, k) of SecAgg+ over an ordering of the participants that
 * anyone can recompute. The participants are sorted by id, each is placed by HMAC-SHA-256(key, id) with a key
 * derived from the round id and the round's public seed, and each device is linked to the k/2 positions on either
 * side (every other device when k ≥ n − 1). A device recomputes the graph from the same public inputs and refuses a
 * neighbour list it cannot reproduce, so the server cannot hand-pick who holds a device's shares, short of
 * choosing the seed or the participants themselves (README: threat model).
 */
import { fields, utf8 } from './bytes.js';
import { hkdfSync, hmacMany, type SecAggBackend } from './crypto.js';

/** The ring order of the participants for this round and seed. */
export async function ringOrder(roundId: string, seed: string, participants: readonly string[], backend?: SecAggBackend): Promise<string[]> {
  const key = hkdfSync(utf8(seed), 32, 'graph', roundId);
  const sorted = [...participants].sort();
  const tags = await hmacMany(key, sorted.map((id) => fields(id)), backend);
  // compare on the first 6 bytes as one number, then on the rest (same order as a bytewise comparison)
  const head = tags.map((t) => t[0]! * 2 ** 40 + t[1]! * 2 ** 32 + t[2]! * 2 ** 24 + t[3]! * 2 ** 16 + t[4]! * 2 ** 8 + t[5]!);
  const idx = sorted.map((_, i) => i);
  idx.sort((a, b) => {
    if (head[a] !== head[b]) return head[a]! - head[b]!;
    const ta = tags[a]!, tb = tags[b]!;
    for (let i = 6; i < ta.length; i++) if (ta[i] !== tb[i]) return ta[i]! - tb[i]!;
    return sorted[a]! < sorted[b]! ? -1 : 1;
  });
  return idx.map((i) => sorted[i]!);
}

/** The neighbour list (sorted ids) of the participant at ring position i in H(n, k) on `order`. */
function neighboursAt(order: readonly string[], k: number, i: number): string[] {
  const n = order.length, half = Math.floor(k / 2);
  const set = new Set<string>();
  if (k >= n - 1) for (const id of order) set.add(id);
  else for (let o = 1; o <= half; o++) { set.add(order[(i + o) % n]!); set.add(order[(i - o + n) % n]!); }
  set.delete(order[i]!);
  return [...set].sort();
}

/** Neighbour lists (sorted ids) of every participant in H(n, k) on `order`. */
export function harary(order: readonly string[], k: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < order.length; i++) out.set(order[i]!, neighboursAt(order, k, i));
  return out;
}

/** The whole graph for a round: participant → sorted neighbour ids. */
export async function deriveGraph(roundId: string, seed: string, participants: readonly string[], k: number, backend?: SecAggBackend): Promise<Map<string, string[]>> {
  return harary(await ringOrder(roundId, seed, participants, backend), k);
}

/** One participant's neighbours in the round's graph (what a device checks: the whole graph is n times the work). */
export async function deriveNeighbours(roundId: string, seed: string, participants: readonly string[], k: number, id: string, backend?: SecAggBackend): Promise<string[] | undefined> {
  const order = await ringOrder(roundId, seed, participants, backend);
  const i = order.indexOf(id);
  return i < 0 ? undefined : neighboursAt(order, k, i);
}
