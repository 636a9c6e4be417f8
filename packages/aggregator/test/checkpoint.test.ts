/**
 * WAL checkpoints run off the commit path (store/sqlite-checkpointer.mjs): with the writer thread on, the
 * committed 100 kB uploads reach the database file while the WAL is still far below the writer's own
 * automatic checkpoint (64 MB), and the WAL stays bounded over more data than that limit. Everything inserted
 * is still readable, in order, after close and reopen.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite.js';
import { tempDir } from './helper.js';

const size = (f: string): number => statSync(f, { throwIfNoEntry: false })?.size ?? 0;
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

async function fill(store: SqliteStore, roundId: number, from: number, n: number, payload: Uint8Array): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => store.insertUpdate({
    key: `k${from + i}`, roundId, receivedAt: from + i, weight: 1, norm: 1, fingerprint: `f${from + i}`, payload, response: { status: 202, body: {} },
  }, 1e9)));
}

describe('SQLite WAL checkpoints (writer thread)', () => {
  it('copy committed uploads into the database file as they arrive and keep the WAL bounded', async () => {
    const tmp = tempDir(); cleanup = tmp.cleanup;
    const db = join(tmp.dir, 'agg.db');
    const store = new SqliteStore(db, { writerThread: true });
    await store.init();
    const round = await store.openRound({ baseVersion: 1, openedAt: 0, deadline: 1e13 });
    const payload = new Uint8Array(100_000).map((_, i) => i % 251);
    const before = size(db);
    await fill(store, round.id, 0, 200, payload); // 20 MB: a third of the writer's own checkpoint threshold
    await new Promise((r) => setTimeout(r, 300));
    expect(size(db) - before, 'frames copied into the database file by the checkpointer').toBeGreaterThan(15e6);
    let walMax = 0;
    for (let k = 1; k <= 8; k++) { // 80 MB more, past the 64 MB automatic checkpoint
      await fill(store, round.id, k * 100 + 100, 100, payload);
      walMax = Math.max(walMax, size(`${db}-wal`));
    }
    expect(walMax).toBeLessThan(100 * 2 ** 20);
    await store.close();
    const again = new SqliteStore(db, { writerThread: false });
    await again.init();
    let n = 0;
    for await (const u of again.iterateUpdates(round.id)) { if (Buffer.compare(u.payload, payload) === 0) n++; }
    expect(n).toBe(1000);
    await again.close();
  });
});
