// WAL checkpoints off the commit path, in their own worker thread. With SQLite's automatic checkpoints the
// connection that commits the batch crossing the threshold also copies the whole WAL (32 MB at 2,048 pages of
// 16 kB) into the database file and fsyncs it before its commit returns: every few hundred uploads one batch
// waited for that copy, which set the aggregator's p99 (docs/experiments/2026-12-01-aggregator-wal-checkpoints.md).
// Here a third connection runs PASSIVE checkpoints on a timer:
// PASSIVE never takes the writer's lock, so commits go on while frames are copied. Committed transactions are
// durable in the fsync'd WAL before they are acknowledged, so when (or whether) a checkpoint runs changes
// nothing about durability; a kill -9 mid-checkpoint is recovered by SQLite at the next open.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './sqlite-driver.mjs';

const db = openDatabase(workerData.path);
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = 0');

const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch { /* busy: the next tick tries again */ }
}, workerData.intervalMs);

parentPort.on('message', (msg) => {
  if (msg.type !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.postMessage({ type: 'closed' });
});
