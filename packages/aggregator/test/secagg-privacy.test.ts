/**
 * What the aggregator keeps of one device's vector in a secure-aggregation round, read straight from its SQLite
 * file and its logs. Device 0 sends the most structured input there is (all zeros). The snapshot is taken at the
 * worst moment: every masked vector stored and all but one device's shares released (enough to unmask). Then:
 * - device 0's stored masked vector is uniform (χ² on 16 bins);
 * - removing every mask the stored secrets allow (its self mask from its reconstructed b, the pair masks with
 *   its dropped neighbours from their reconstructed keys) leaves it uniform: the pair masks with its surviving
 *   neighbours hide it, and no table holds their keys;
 * - after the round no table holds a masked vector or a share, no value anywhere contains device 0's masked
 *   vector, and no log line carries vector data.
 * What this does not (and cannot) show: the output is the sum, so anyone who knows every other device's encoded
 * vector gets device 0's from the published sum; that is the functionality, and the noise in the sum
 * (docs/secure-aggregation.md) is what protects it.
 */
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { pack, unpack } from '@perch/learn/ddg';
import { DEFAULT_RECIPE } from '@perch/learn/client';
import { fromB64, reconstructSecret, toB64, type DevicePolicy } from '@perch/learn/secagg';
import { addInto, pairMask, selfMask } from '@perch/learn/secagg/testing';
import { buildApp } from '../src/app.js';
import { openDatabase } from '../src/store/sqlite-driver.mjs';
import { roundInfo, tempDir, testConfig, waitFor } from './helper.js';
import { encodedUpdate, HttpDevice, injectSend } from './secagg-helper.js';

const N = 10;
const POLICY: DevicePolicy = { minCohort: 5, minDegree: 8, minThreshold: 4 };

/** χ² of the top 4 bits of 15-bit values against uniform (15 degrees of freedom). */
function chi2(v: Uint32Array, bits: number): number {
  const bins = new Float64Array(16);
  for (const x of v) bins[x >>> (bits - 4)]! += 1;
  const e = v.length / 16;
  return bins.reduce((s, o) => s + (o - e) ** 2 / e, 0);
}
/** χ²(15) exceeds 60 with probability below 1e-7. */
const UNIFORM = 60;

describe('what the aggregator stores and logs of one device', () => {
  it('a masked vector that stays uniform after every removable mask, and nothing after the round', async () => {
    const tmp = tempDir();
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _enc, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
    const config = testConfig(tmp.dir, {
      minClients: 5, targetClients: N, closeAtTarget: true, noiseMultiplier: 0, serverOptimizer: 'sgd', serverLearningRate: 1,
      local: { ...DEFAULT_RECIPE }, // every tensor but the input embeddings: a vector long enough for the χ² test
      secagg: { k: 8, t: 4, minCohort: 5, maxCohort: 12, sigma: 0.001, stageMs: { advertise: 60_000, shareKeys: 30_000, maskedInput: 8_000, unmask: 60_000 }, longPollMs: 5_000 },
    });
    const app = await buildApp({ config }, { logger: { level: 'debug', stream } });
    try {
      const info = await roundInfo(app);
      const s = info.secagg!;
      expect(s.d).toBeGreaterThanOrEqual(1024);
      const devs = Array.from({ length: N }, () => new HttpDevice(info, injectSend(app), POLICY));
      const xs = devs.map((_, i) => (i === 0 ? new Uint32Array(s.d) : encodedUpdate(info, 7000 + i).values));
      expect(chi2(xs[0]!, s.bits)).toBeGreaterThan(1e4); // the input itself: all in bin 0
      const sk = await Promise.all(devs.map((d) => d.advertise()));
      const mi = await Promise.all(devs.map((d, i) => d.shareKeys(sk[i]!)));
      // Device 0's own s key, which it erases after masking and never sends: only the control below uses it.
      const sSk0 = fromB64(devs[0]!.dev.toJSON().keys!.sSk)!;
      const live = [0, 1, 2, 3, 4, 5, 6, 7]; // devices 8 and 9 drop before sending their masked vector
      const um = await Promise.all(live.map((i) => devs[i]!.maskedInput(mi[i]!, xs[i]!)));
      await Promise.all(live.slice(1).map((i) => devs[i]!.unmask(um[i]!)));

      // The worst moment: all masked vectors and seven devices' shares on disk.
      const db = openDatabase(join(tmp.dir, 'agg.db'), { readonly: true });
      const id0 = devs[0]!.id!;
      const row = db.prepare('SELECT y FROM secagg_masked WHERE round_id = ? AND device_id = ?').get(info.roundId, id0) as { y: Buffer };
      const y0 = unpack(new Uint8Array(row.y), s.bits, s.d);
      expect(chi2(y0, s.bits)).toBeLessThan(UNIFORM);
      const shares = (db.prepare('SELECT body FROM secagg_unmask WHERE round_id = ?').all(info.roundId) as { body: string }[])
        .flatMap((r) => JSON.parse(r.body) as { owner: string; kind: 'b' | 's'; share: string }[]);
      const of = (owner: string, kind: 'b' | 's') => shares.filter((e) => e.owner === owner && e.kind === kind).map((e) => fromB64(e.share)!);
      const z = y0.slice();
      const b0 = await reconstructSecret(of(id0, 'b'), 4);
      expect(b0).toBeDefined();
      addInto(z, await selfMask(b0!, String(info.roundId), s.d, s.bits), -1, s.bits);
      const keys = Object.fromEntries((db.prepare('SELECT device_id, body FROM secagg_devices WHERE round_id = ?').all(info.roundId) as { device_id: string; body: string }[])
        .map((r) => [r.device_id, JSON.parse(r.body) as { cPk: string; sPk: string }]));
      const nb0 = new Set(sk[0]!.neighbours.map((p) => p.id));
      let strippedPairs = 0;
      for (const w of [8, 9].map((i) => devs[i]!.id!).filter((w) => nb0.has(w))) {
        const sk = await reconstructSecret(of(w, 's'), 4);
        if (!sk) continue;
        const pm = await pairMask(sk, fromB64(keys[id0]!.sPk)!, w, id0, String(info.roundId), s.d, s.bits);
        addInto(z, pm.mask, pm.sign, s.bits);
        strippedPairs++;
      }
      expect(strippedPairs).toBeGreaterThan(0);
      expect(chi2(z, s.bits)).toBeLessThan(UNIFORM);
      expect(z.some((v) => v !== 0)).toBe(true);
      // Control: with device 0's s key (never stored), its surviving neighbours' pair masks come off too and the
      // all-zero input reappears exactly; so the uniformity above is the masks the server cannot remove.
      const control = z.slice();
      for (const v of live.slice(1).map((i) => devs[i]!.id!).filter((v) => nb0.has(v))) {
        const pm = await pairMask(sSk0, fromB64(keys[v]!.sPk)!, id0, v, String(info.roundId), s.d, s.bits);
        addInto(control, pm.mask, -pm.sign as 1 | -1, s.bits);
      }
      expect(control.every((v) => v === 0)).toBe(true);
      db.close();

      await devs[0]!.unmask(um[0]!);
      await waitFor(async () => (await roundInfo(app)).baseVersion === 2);
      // After the round: every table, every value.
      const db2 = openDatabase(join(tmp.dir, 'agg.db'), { readonly: true });
      const tables = (db2.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
      const needle = Buffer.from(pack(y0, s.bits).subarray(0, 64));
      const needleText = toB64(pack(y0, s.bits).subarray(0, 48));
      for (const t of tables) {
        for (const r of db2.prepare(`SELECT * FROM ${t}`).all() as Record<string, unknown>[]) {
          for (const v of Object.values(r)) {
            if (Buffer.isBuffer(v)) expect(v.includes(needle)).toBe(false);
            if (typeof v === 'string') expect(v.includes(needleText)).toBe(false);
          }
        }
      }
      expect(db2.prepare("SELECT count(*) AS n FROM secagg_masked WHERE length(y) > 0").get()).toEqual({ n: 0 });
      expect(db2.prepare("SELECT count(*) AS n FROM secagg_unmask WHERE body != '[]'").get()).toEqual({ n: 0 });
      expect(db2.prepare("SELECT count(*) AS n FROM secagg_shares WHERE body != '{}'").get()).toEqual({ n: 0 });
      db2.close();
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) {
        expect(l.length).toBeLessThan(2000);
        expect(l).not.toMatch(/[A-Za-z0-9_-]{200}/);
      }
    } finally {
      await app.close();
      tmp.cleanup();
    }
  }, 60_000);
});
