// Tables and statements of secure-aggregation rounds, shared by the event-loop connection (sqlite.ts) and the
// writer thread (sqlite-writer.mjs), so both paths store a device message with the same checks. Plain
// JavaScript so that the writer thread loads it under any loader.
//
// secagg_rounds: one row per secure-aggregation round (params = the announced description as JSON; secret =
//   the per-round key device credentials are derived from; the current stage and its deadline; the sets fixed
//   at each close).
// secagg_<kind>: one row per accepted device message and step: devices (advertised public keys), shares
//   (commitment and envelopes), masked (the masked vector, packed), unmask (the released shares), as JSON of the
//   state machine's form (what a restart rebuilds it from), not the wire form the device sent. `fingerprint` is
//   the SHA-256 of the body as received (its wire-form bytes), so a re-sent message is answered as a replay.

export const SECAGG_KINDS = ['devices', 'shares', 'masked', 'unmask'];
/** The stage a message kind is accepted in. */
export const STAGE_OF = { devices: 'advertise-keys', shares: 'share-keys', masked: 'masked-input', unmask: 'unmasking' };

export const SECAGG_SCHEMA = `
CREATE TABLE IF NOT EXISTS secagg_rounds (
  round_id INTEGER PRIMARY KEY, params TEXT NOT NULL, secret BLOB NOT NULL, stage TEXT NOT NULL,
  deadline INTEGER NOT NULL, participants TEXT, k INTEGER, t INTEGER, cohort TEXT, survivors TEXT, reason TEXT);
${SECAGG_KINDS.map((k) => `CREATE TABLE IF NOT EXISTS secagg_${k} (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, round_id INTEGER NOT NULL, device_id TEXT NOT NULL, body TEXT NOT NULL,
  y BLOB, fingerprint TEXT NOT NULL, received_at INTEGER NOT NULL, UNIQUE (round_id, device_id));`).join('\n')}
`;

export function secaggStatements(db) {
  const round = db.prepare('SELECT * FROM secagg_rounds WHERE round_id = ?');
  const byDevice = Object.fromEntries(SECAGG_KINDS.map((k) => [k, db.prepare(`SELECT fingerprint FROM secagg_${k} WHERE round_id = ? AND device_id = ?`)]));
  const insert = Object.fromEntries(SECAGG_KINDS.map((k) => [k, db.prepare(`INSERT INTO secagg_${k} (round_id, device_id, body, y, fingerprint, received_at) VALUES (?, ?, ?, ?, ?, ?)`)]));
  const list = Object.fromEntries(SECAGG_KINDS.map((k) => [k, db.prepare(`SELECT device_id, body, y, fingerprint, received_at FROM secagg_${k} WHERE round_id = ? ORDER BY seq`)]));
  return {
    round,
    list,
    create: db.prepare("INSERT OR IGNORE INTO secagg_rounds (round_id, params, secret, stage, deadline) VALUES (?, ?, ?, 'advertise-keys', ?)"),
    advance: db.prepare('UPDATE secagg_rounds SET stage = ?, deadline = ?, participants = ?, k = ?, t = ?, cohort = ?, survivors = ?, reason = ? WHERE round_id = ?'),
    finish: db.prepare('UPDATE secagg_rounds SET stage = ?, reason = coalesce(?, reason) WHERE round_id = ?'),
    minimise: db.prepare("UPDATE secagg_masked SET y = x'' WHERE round_id = ?"),
    minimiseShares: db.prepare("UPDATE secagg_shares SET body = '{}' WHERE round_id = ?"),
    minimiseUnmask: db.prepare("UPDATE secagg_unmask SET body = '[]' WHERE round_id = ?"),
    /** One message, inside the caller's transaction: duplicate → its fingerprint; wrong stage → closed. */
    write(w) {
      const dup = byDevice[w.kind].get(w.roundId, w.deviceId);
      if (dup) return { kind: 'duplicate', fingerprint: dup.fingerprint };
      const r = round.get(w.roundId);
      if (!r || r.stage !== STAGE_OF[w.kind]) return { kind: 'closed', stage: r?.stage ?? null };
      const y = w.y ? Buffer.from(w.y.buffer, w.y.byteOffset, w.y.byteLength) : null;
      insert[w.kind].run(w.roundId, w.deviceId, w.body, y, w.fingerprint, w.receivedAt);
      return { kind: 'inserted' };
    },
  };
}
