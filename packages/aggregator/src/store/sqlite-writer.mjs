// The SQLite upload writer, in a worker thread (plain JavaScript, so it runs under any loader). Its driver
// is synchronous: a commit with synchronous=FULL waits for fsync (milliseconds), and on the event loop that
// wait stalled every other request. Here the main thread keeps parsing and validating uploads while a batch
// is being made durable. Same schema, same statements and the same checks as the in-thread path
// (`SqliteStore.insertOne`), in one IMMEDIATE transaction per batch: duplicate key → the stored row; round not
// open → its row; round full → 'full'; else insert and count.
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './sqlite-driver.mjs';
import { secaggStatements } from './secagg-sql.mjs';

const db = openDatabase(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
// Most checkpointing is the checkpointer thread's (sqlite-checkpointer.mjs): small PASSIVE checkpoints every
// 25 ms. The WAL can only restart from its beginning when a checkpoint finished with nothing left to copy,
// which under a steady stream of commits rarely happens on its own; so this connection keeps an automatic
// checkpoint at 4,096 pages (64 MB). When it fires, the checkpointer has already copied almost every frame,
// so it costs this commit little, and the next transaction restarts the WAL. Past WAL_LIMIT (the checkpointer
// stopped, say) this thread checkpoints and truncates the WAL itself after a batch, paying the stall rather
// than filling the disk.
db.pragma('wal_autocheckpoint = 4096');
const WAL_LIMIT = workerData.walLimitBytes;
const walPath = `${workerData.path}-wal`;

const byKey = db.prepare('SELECT * FROM updates WHERE key = ?');
const roundById = db.prepare('SELECT * FROM rounds WHERE id = ?');
const insert = db.prepare('INSERT INTO updates (key, round_id, received_at, weight, norm, fingerprint, payload, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
const count = db.prepare('UPDATE rounds SET accepted = accepted + 1 WHERE id = ?');

function insertOne(u, maxUpdates) {
  const dup = byKey.get(u.key);
  if (dup) return { kind: 'duplicate', row: dup };
  const round = roundById.get(u.roundId);
  if (!round || round.status !== 'open') return { kind: 'not_open', round };
  if (round.accepted >= maxUpdates) return { kind: 'full' };
  insert.run(u.key, u.roundId, u.receivedAt, u.weight, u.norm, u.fingerprint, Buffer.from(u.payload.buffer, u.payload.byteOffset, u.payload.byteLength), u.response);
  count.run(u.roundId);
  return { kind: 'inserted', accepted: round.accepted + 1 };
}

const tx = db.transaction((batch) => batch.map((b) => insertOne(b.u, b.maxUpdates)));
// Secure-aggregation messages (one per post, same transaction rules): the tables exist, the main thread made them.
let secagg;
const secaggTx = db.transaction((w) => [(secagg ??= secaggStatements(db)).write(w)]);

parentPort.on('message', (msg) => {
  if (msg.type === 'close') { db.close(); parentPort.postMessage({ type: 'closed' }); return; }
  try {
    parentPort.postMessage({ id: msg.id, results: msg.secagg ? secaggTx.immediate(msg.secagg) : tx.immediate(msg.batch) });
    if ((statSync(walPath, { throwIfNoEntry: false })?.size ?? 0) > WAL_LIMIT) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (e) {
    parentPort.postMessage({ id: msg.id, error: String(e && e.message || e) });
  }
});
