/** What both stores answer for `secaggSnapshot`: the round's row and its messages of every kind, read one kind at a time. */
import type { AggregatorStore, SecAggSnapshot } from './types.js';

export async function secaggSnapshotOf(store: Pick<AggregatorStore, 'secaggRound' | 'secaggMessages'>, roundId: number): Promise<SecAggSnapshot | undefined> {
  const round = await store.secaggRound(roundId);
  if (!round) return undefined;
  return {
    round,
    devices: await store.secaggMessages(roundId, 'devices'), shares: await store.secaggMessages(roundId, 'shares'),
    masked: await store.secaggMessages(roundId, 'masked'), unmask: await store.secaggMessages(roundId, 'unmask'),
  };
}
