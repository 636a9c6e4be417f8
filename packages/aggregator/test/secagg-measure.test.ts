/**
 * Cost of one secure-aggregation round through the aggregator, in process: per-step bytes per device (request
 * and answer bodies as sent), the server's time per stage (the devices' work is done before each stage's POSTs,
 * and timed apart) and from the last unmask to the published version. Printed, not asserted; runs only with
 * PERCH_AGG_SECAGG_MEASURE=1. PERCH_AGG_SECAGG_N (default 40) devices, the model at --dims 64
 * (34,694 shared values, the size of the real model's layout).
 */
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { roundInfo, tempDir, testConfig, waitFor } from './helper.js';
import type { MaskedInputRequest, UnmaskRequest } from '@perch/learn/secagg';
import { encodedUpdate, HttpDevice, injectSend, type Send } from './secagg-helper.js';

const on = process.env.PERCH_AGG_SECAGG_MEASURE === '1';
const N = Number(process.env.PERCH_AGG_SECAGG_N ?? 40);

describe.runIf(on)('secure-aggregation round cost', () => {
  it(`one round of ${N} devices at d ≈ 34,816`, async () => {
    const tmp = tempDir();
    const k = Math.min(40, N - 1 - ((N - 1) % 2)), t = Math.max(2, Math.ceil(0.3 * k));
    const config = testConfig(tmp.dir, {
      minClients: 3, targetClients: N, closeAtTarget: true, noiseMultiplier: 0,
      secagg: { k, t, minCohort: 3, maxCohort: N, sigma: 0.01, stageMs: { advertise: 600_000, shareKeys: 600_000, maskedInput: 600_000, unmask: 600_000 }, longPollMs: 20_000 },
    }, { seedDims: { dim: 64, hidden: 64, numItems: 50, numAttrs: 10, numCategories: 5 } });
    const app = await buildApp({ config });
    try {
      const info = await roundInfo(app);
      const s = info.secagg!;
      const up = new Map<string, number>(), down = new Map<string, number>();
      const inject = injectSend(app);
      const send: Send = async (url, body, headers) => {
        const step = url.split('/').pop()!;
        up.set(step, (up.get(step) ?? 0) + (typeof body === 'string' ? Buffer.byteLength(body) : body.length));
        const r = await inject(url, body, headers);
        down.set(step, (down.get(step) ?? 0) + r.raw.length);
        return r;
      };
      const devs = Array.from({ length: N }, () => new HttpDevice(info, send, { minCohort: 3, minDegree: k, minThreshold: t }));
      // Device work (keys, shares, masks) is done before each stage's POSTs, so each stage's time is the server's
      // (plus in-process HTTP); `deviceSeconds` is the devices' own work, all of them one after another.
      const dev = { encode: 0, shareKeys: 0, mask: 0, unmask: 0 };
      const timed = async <T>(k2: keyof typeof dev, f: () => Promise<T>): Promise<T> => { const a = performance.now(); const r = await f(); dev[k2] += (performance.now() - a) / 1e3; return r; };
      const xs = await timed('encode', async () => devs.map((_, i) => encodedUpdate(info, 100 + i).values));
      const t1 = performance.now();
      const sk = await Promise.all(devs.map((d) => d.advertise()));
      const t2 = performance.now();
      const shareMsgs: Uint8Array[] = [];
      for (const [i, d] of devs.entries()) shareMsgs.push(await timed('shareKeys', () => d.shareKeysMessage(sk[i]!)));
      const t2b = performance.now();
      const mi = (await Promise.all(devs.map((d, i) => d.post('share-keys', s.urls.shareKeys, shareMsgs[i]!)))).map((r, i) => devs[i]!.request<MaskedInputRequest>(r, 'masked-input'));
      const t3 = performance.now();
      const ys: Uint8Array[] = [];
      for (const [i, d] of devs.entries()) ys.push(await timed('mask', () => d.maskedBytes(mi[i]!, xs[i]!)));
      const t3b = performance.now();
      const um = (await Promise.all(devs.map((d, i) => d.post('masked-input', s.urls.maskedInput, ys[i]!)))).map((r, i) => devs[i]!.request<UnmaskRequest>(r, 'unmasking'));
      const t4 = performance.now();
      const unmaskMsgs: Uint8Array[] = [];
      for (const [i, d] of devs.entries()) unmaskMsgs.push(await timed('unmask', () => d.unmaskMessage(um[i]!)));
      const t4b = performance.now();
      await Promise.all(devs.map((d, i) => d.post('unmask', s.urls.unmask, unmaskMsgs[i]!)));
      const t5 = performance.now();
      await waitFor(async () => (await roundInfo(app)).baseVersion === 2, 600_000);
      const t6 = performance.now();
      const per = (m: Map<string, number>) => Object.fromEntries([...m].map(([k2, v]) => [k2, Math.round(v / N)]));
      console.log(JSON.stringify({
        devices: N, k, t, layout: info.layout.size, d: s.d, bits: s.bits, postsPerDevice: devs.map((d) => d.posts).reduce((a, b) => a + b) / N,
        bytesUpPerDevice: per(up), bytesDownPerDevice: per(down),
        serverSeconds: { advertise: (t2 - t1) / 1e3, shareKeys: (t3 - t2b) / 1e3, maskedInput: (t4 - t3b) / 1e3, unmask: (t5 - t4b) / 1e3, unmaskToPublish: (t6 - t5) / 1e3 },
        deviceSecondsAll: dev,
      }, null, 1));
      expect(devs.every((d) => d.posts === 4)).toBe(true);
    } finally {
      await app.close();
      tmp.cleanup();
    }
  }, 900_000);
});
