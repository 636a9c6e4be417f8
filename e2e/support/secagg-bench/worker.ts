// The device side of `pnpm bench secagg` in a Chromium web worker: real SecAggDevice objects with the library's
// default (Web Crypto) backend. Each step's request arrives in its wire form, is decoded, answered and the reply
// encoded to its wire form; the worker times the whole of that per step (performance.now()).
import { SecAggDevice, decodeRequest, encodeReply, type WireContext } from '@perch/learn/secagg';

export type SecAggBenchCall =
  | { op: 'create'; id: string; policy: { minCohort: number } }
  | { op: 'step'; id: string; request: Uint8Array; x?: Uint32Array };
export interface SecAggBenchReply { ok: boolean; reason?: string; ms: number; wire?: Uint8Array; message?: unknown }

const devices = new Map<string, { dev: SecAggDevice; ctx: WireContext }>();

self.onmessage = async (e: MessageEvent<SecAggBenchCall>) => {
  const c = e.data;
  if (c.op === 'create') { devices.set(c.id, { dev: SecAggDevice.create(c.id, c.policy), ctx: {} }); self.postMessage({ ok: true, ms: 0 }); return; }
  const it = devices.get(c.id)!;
  const t0 = performance.now();
  const req = decodeRequest(c.request, it.ctx);
  if (!req) { self.postMessage({ ok: false, reason: 'bad-encoding', ms: 0 }); return; }
  let out;
  switch (req.step) {
    case 'advertise-keys': it.ctx.d = req.d; it.ctx.bits = req.bits; out = await it.dev.advertiseKeys(req); break;
    case 'share-keys': it.ctx.participants = req.participants; out = await it.dev.shareKeys(req); break;
    case 'masked-input': out = await it.dev.maskedInput(req, c.x!); break;
    case 'unmasking': out = await it.dev.unmask(req); break;
  }
  if (!out.ok) { self.postMessage({ ok: false, reason: `${out.reason}: ${out.detail}`, ms: performance.now() - t0 }); return; }
  const wire = encodeReply(out.message, it.ctx);
  const ms = performance.now() - t0;
  self.postMessage({ ok: true, ms, wire, message: out.message } satisfies SecAggBenchReply);
};
self.postMessage({ ok: true, ms: 0 });
