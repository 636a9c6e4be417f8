/**
 * What the federated client keeps on the device, in its own small IndexedDB database `<dbName>:federated`
 * (the event store's schema belongs to the storage code; a separate database keeps the two independent):
 * - `accountant`: the device accountant's state (`DeviceAccountant`), so a reload never resets ε spent;
 * - `round`: the id of the last round whose sampling coin was flipped (a coin is flipped once per round,
 *   whatever the number of tabs or reloads: re-flipping until "participate" would void amplification);
 * - `outbound`: the transparency log (bounded separately for uploads and body-less polls), so `audit()` still shows what left the device after a reload;
 * - `refusals`: the rounds the device refused under its policy, and why (the newest MAX_REFUSALS);
 * - `survivorChecks`, `distrusted`: the survivor sets of rounds it unmasked in, to compare with what those rounds
 *   publish, and the aggregators whose published survivor set differed (survivors.ts).
 * Read fresh inside the leader lock: another tab's worker may have written since.
 * Any IndexedDB failure degrades to memory for this session (the device then does not train: see `load`).
 */
import { openDB, type IDBPDatabase } from 'idb';
import type { DeviceAccountState } from '@perch/learn/privacy';
import type { OutboundLogEntry, RoundRefusal } from '../../types.js';
import type { SurvivorsState } from './survivors.js';

export interface FederatedRecord extends SurvivorsState {
  /** A `DeviceAccountState`, or an older accountant's state (which `DeviceAccountant` reads conservatively). */
  accountant: DeviceAccountState | Record<string, unknown> | null;
  lastRound: number;
  uploads: number;
  outbound: OutboundLogEntry[];
  /** Absent in records written before the policy existed. */
  refusals?: RoundRefusal[];
}

const STORE = 'kv';
const KEY = 'state';
/** Uploads kept in the transparency log (each upload of the Beauty-size model, 34,530 bytes, is ~46 kB of base64). */
export const MAX_OUTBOUND = 50;
/** Body-less requests (the round polls) kept: they must never push an upload out of the log. */
export const MAX_BODYLESS = 20;
/** Refused rounds kept. */
export const MAX_REFUSALS = 50;

/** The newest MAX_OUTBOUND entries with a body and MAX_BODYLESS without, in their original order. */
export function trimLog(log: readonly OutboundLogEntry[]): OutboundLogEntry[] {
  let withBody = 0, without = 0;
  const keep: OutboundLogEntry[] = [];
  for (let i = log.length - 1; i >= 0; i--) {
    const e = log[i]!;
    if (e.bytes > 0 ? ++withBody <= MAX_OUTBOUND : ++without <= MAX_BODYLESS) keep.push(e);
  }
  return keep.reverse();
}

export const emptyRecord = (): FederatedRecord => ({ accountant: null, lastRound: 0, uploads: 0, outbound: [], refusals: [] });

export class FederatedPersist {
  private db: Promise<IDBPDatabase | null> | null = null;

  constructor(private readonly name: string) {}

  /** Whether the database exists already (reading `audit()` must not create it). */
  async exists(): Promise<boolean> {
    try {
      const dbs = await indexedDB.databases();
      return dbs.some((d) => d.name === this.name);
    } catch {
      return false;
    }
  }

  private open(): Promise<IDBPDatabase | null> {
    if (!this.db) {
      this.db = openDB(this.name, 1, { upgrade: (db) => { db.createObjectStore(STORE); } })
        .catch(() => null);
    }
    return this.db;
  }

  /** The stored record; throws when IndexedDB cannot be read (the caller must not train then). */
  async load(): Promise<FederatedRecord> {
    const db = await this.open();
    if (!db) throw new Error('federated state: IndexedDB unavailable');
    return ((await db.get(STORE, KEY)) as FederatedRecord | undefined) ?? emptyRecord();
  }

  /** Writes the record; resolves once committed (relaxed durability is enough: ε is written before sending). */
  async save(r: FederatedRecord): Promise<void> {
    const db = await this.open();
    if (!db) throw new Error('federated state: IndexedDB unavailable');
    const outbound = trimLog(r.outbound);
    await db.put(STORE, { ...r, outbound, refusals: (r.refusals ?? []).slice(-MAX_REFUSALS) }, KEY);
  }

  close(): void {
    void this.db?.then((d) => d?.close());
    this.db = null;
  }
}
