/**
 * Test harness: runs whole rounds of devices and a server in one process, with dropouts at any step, optional
 * tampering with the server's requests, and optional save-and-resume of every state machine between steps (as
 * the aggregator and the SDK worker would persist them). Not in the package index: test suites import it as
 * `@perch/learn/secagg/testing`.
 */
import { SecAggDevice, type DevicePolicy, type DeviceState } from './device.js';
import { modMask } from './masking.js';
import type { MaskedInput, MaskedInputRequest, ShareKeysRequest, Unmask, UnmaskRequest } from './messages.js';
import { SecAggServer, type SecAggResult, type ServerOptions } from './server.js';

export interface RoundSpec {
  n: number;
  d: number;
  bits: number;
  server: Omit<ServerOptions, 'roundId' | 'bits' | 'd'> & { roundId?: string };
  policy: DevicePolicy;
  /** Device indices that stop before sending the reply of that step. */
  drop?: { advertise?: number[]; share?: number[]; mask?: number[]; unmask?: number[] };
  /** Save every machine to JSON text and load it back between steps. */
  persist?: boolean;
  seedInputs?: number;
  /** Input of device i (default: a random test vector). */
  input?: (i: number) => Uint32Array;
  tamperShareKeys?: (reqs: Record<string, ShareKeysRequest>) => void;
  tamperMasked?: (reqs: Record<string, MaskedInputRequest>) => void;
}

export interface RoundRun {
  ids: string[];
  inputs: Uint32Array[];
  server: SecAggServer;
  devices: SecAggDevice[];
  result?: SecAggResult;
  /** Every reply the server accepted and every refusal, by step. */
  masked: Record<string, MaskedInput>;
  unmaskReplies: Record<string, Unmask>;
  refusals: { id: string; step: string; reason: string }[];
  failure?: string;
  /** Every device's state right after share keys (before masking erases b and the secret keys). */
  sharedStates: DeviceState[];
  expected: (ids: string[]) => Uint32Array;
}

/** Deterministic test vectors (xorshift32), values in [0, 2^bits). */
export function testVector(d: number, bits: number, seed: number): Uint32Array {
  let s = seed >>> 0 || 1;
  const out = new Uint32Array(d);
  const m = modMask(bits);
  for (let i = 0; i < d; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; out[i] = s & m; }
  return out;
}

export async function runRound(spec: RoundSpec): Promise<RoundRun> {
  const { n, d, bits } = spec;
  const ids = Array.from({ length: n }, (_, i) => `dev-${String(i).padStart(4, '0')}`);
  const inputs = ids.map((_, i) => spec.input?.(i) ?? testVector(d, bits, (spec.seedInputs ?? 1) * 7919 + i + 1));
  let server = SecAggServer.open({ roundId: spec.server.roundId ?? 'round-1', bits, d, ...spec.server });
  let devices = ids.map((id) => SecAggDevice.create(id, spec.policy));
  const drop = (step: keyof NonNullable<RoundSpec['drop']>, i: number) => spec.drop?.[step]?.includes(i) ?? false;
  const run: RoundRun = { ids, inputs, server, devices, masked: {}, unmaskReplies: {}, refusals: [], sharedStates: [], expected: (who) => {
    const acc = new Uint32Array(d);
    const m = modMask(bits);
    for (const id of who) { const x = inputs[ids.indexOf(id)]!; for (let j = 0; j < d; j++) acc[j] = (acc[j]! + x[j]!) & m; }
    return acc;
  } };
  const persist = () => {
    if (!spec.persist) return;
    server = SecAggServer.fromJSON(JSON.parse(JSON.stringify(server.toJSON())));
    devices = devices.map((dv) => SecAggDevice.fromJSON(JSON.parse(JSON.stringify(dv.toJSON()))));
  };
  const refuse = (id: string, step: string, r: { ok: false; reason: string }) => run.refusals.push({ id, step, reason: r.reason });
  const done = () => { run.server = server; run.devices = devices; return run; };

  const adv = server.advertiseRequest();
  for (let i = 0; i < n; i++) {
    const r = await devices[i]!.advertiseKeys(adv);
    if (!r.ok) { refuse(ids[i]!, 'advertise-keys', r); continue; }
    if (!drop('advertise', i)) { persist(); const a = await server.receive(r.message); if (!a.ok) refuse(ids[i]!, 'server', a); }
  }
  persist();
  const sk = await server.closeAdvertise();
  if (!sk.ok) { run.failure = sk.reason; return done(); }
  spec.tamperShareKeys?.(sk.message);
  for (const [id, req] of Object.entries(sk.message)) {
    const i = ids.indexOf(id);
    const r = await devices[i]!.shareKeys(req);
    if (!r.ok) { refuse(id, 'share-keys', r); continue; }
    if (!drop('share', i)) { persist(); const a = await server.receive(r.message); if (!a.ok) refuse(id, 'server', a); }
  }
  persist();
  run.sharedStates = devices.map((dv) => dv.toJSON());
  const mk = server.closeShareKeys();
  if (!mk.ok) { run.failure = mk.reason; return done(); }
  spec.tamperMasked?.(mk.message);
  for (const [id, req] of Object.entries(mk.message)) {
    const i = ids.indexOf(id);
    const r = await devices[i]!.maskedInput(req, inputs[i]!);
    if (!r.ok) { refuse(id, 'masked-input', r); continue; }
    if (!drop('mask', i)) { run.masked[id] = r.message; persist(); const a = await server.receive(r.message); if (!a.ok) refuse(id, 'server', a); }
  }
  persist();
  const um = server.closeMaskedInput();
  if (!um.ok) { run.failure = um.reason; return done(); }
  for (const [id, req] of Object.entries(um.message)) {
    const i = ids.indexOf(id);
    const r = await devices[i]!.unmask(req as UnmaskRequest);
    if (!r.ok) { refuse(id, 'unmasking', r); continue; }
    if (!drop('unmask', i)) { run.unmaskReplies[id] = r.message; persist(); const a = await server.receive(r.message); if (!a.ok) refuse(id, 'server', a); }
  }
  persist();
  const fin = await server.finish();
  if (!fin.ok) run.failure = `${fin.reason}: ${fin.detail}`;
  else run.result = fin.message;
  return done();
}

// The mask primitives, for suites that play an attacker holding what the server stored.
export { addInto, pairMask, selfMask } from './masking.js';
