/**
 * One tab at a time: the worker that holds the Web Lock `perch-federated:<dbName>` is the leader for one
 * attempt. `ifAvailable`: a tab that finds the lock taken skips this attempt instead of queueing behind it.
 * Without the Web Locks API the device does not train at all (two tabs could otherwise both train and
 * upload for the same round, which would double this device's contribution and its privacy cost).
 */
type Locks = { request(name: string, opts: { ifAvailable: boolean }, cb: (lock: unknown) => Promise<unknown>): Promise<unknown> };

export type LeaderOutcome<T> = { ran: true; value: T } | { ran: false; reason: string };

export async function asLeader<T>(dbName: string, work: () => Promise<T>): Promise<LeaderOutcome<T>> {
  const locks = (globalThis as { navigator?: { locks?: Locks } }).navigator?.locks;
  if (!locks || typeof locks.request !== 'function') return { ran: false, reason: 'no Web Locks API: not training' };
  let out: LeaderOutcome<T> = { ran: false, reason: 'another tab is training' };
  await locks.request(`perch-federated:${dbName}`, { ifAvailable: true }, async (lock) => {
    if (lock) out = { ran: true, value: await work() };
  });
  return out;
}
