// What the device and the server refuse, each with its reason code: both shares of one neighbour, forged and
// replayed envelopes, a graph the device cannot reproduce, weak parameters, and malformed or out-of-order replies;
// honest devices' rounds go on around a rejected reply.
import { describe, expect, it } from 'vitest';
import { SecAggDevice } from './device.js';
import { toB64, fromB64 } from './bytes.js';
import { SecAggServer } from './server.js';
import { runRound, type RoundSpec } from './testing.js';

const base = (over: Partial<RoundSpec> = {}): RoundSpec => ({
  n: 20, d: 200, bits: 16,
  server: { minCohort: 10, k: 10, t: 4 },
  policy: { minCohort: 10, minDegree: 10, minThreshold: 4 },
  ...over,
});

describe('device refusals', () => {
  it('never releases both shares of one neighbour, even across requests', async () => {
    const run = await runRound(base());
    const dev = run.devices[0]!;
    const survivors = run.result!.survivors;
    // the device already answered with b-shares for every surviving neighbour; asking again is idempotent
    const again = await dev.unmask({ step: 'unmasking', roundId: 'round-1', survivors });
    expect(again.ok).toBe(true);
    // now claim one of its neighbours dropped: that would release the neighbour's s-share next to its b-share
    const neighbour = again.ok ? again.message.shares[0]!.owner : '';
    const lie = await dev.unmask({ step: 'unmasking', roundId: 'round-1', survivors: survivors.filter((s) => s !== neighbour) });
    expect(lie).toMatchObject({ ok: false, reason: 'both-shares' });
    // and the refusal survives a save-and-resume of the device
    const resumed = SecAggDevice.fromJSON(JSON.parse(JSON.stringify(dev.toJSON())));
    expect(await resumed.unmask({ step: 'unmasking', roundId: 'round-1', survivors: survivors.filter((s) => s !== neighbour) })).toMatchObject({ reason: 'both-shares' });
  });

  it('refuses unmasking when it is not a survivor, when too few neighbours survive, or the survivor set is too small', async () => {
    const run = await runRound(base());
    const dev = run.devices[0]!, me = run.ids[0]!;
    const all = run.result!.survivors;
    expect(await dev.unmask({ step: 'unmasking', roundId: 'round-1', survivors: all.filter((s) => s !== me) })).toMatchObject({ reason: 'not-a-survivor' });
    const nine = [me, ...all.filter((s) => s !== me).slice(0, 8)].sort();
    expect(await dev.unmask({ step: 'unmasking', roundId: 'round-1', survivors: nine })).toMatchObject({ reason: 'cohort-too-small' });
    const held = Object.keys(run.sharedStates[0]!.neighbours!.reduce((a, p) => ({ ...a, [p.id]: 1 }), {}));
    const fewNeighbours = all.filter((s) => !held.slice(0, 7).includes(s)); // 3 of 10 neighbours left, t = 4
    expect(await dev.unmask({ step: 'unmasking', roundId: 'round-1', survivors: fewNeighbours })).toMatchObject({ reason: 'too-few-neighbours' });
  });

  it('refuses a cohort or survivor set padded with ids the earlier step did not have', async () => {
    const run = await runRound(base());
    const dev = run.devices[0]!, me = run.ids[0]!;
    const all = run.result!.survivors;
    // U3 that meets minCohort only through an id that never completed share keys (it sent no masked vector)
    const padded = [...all.filter((s) => s !== all.at(-1)), 'dev-zzzz'].sort();
    expect(padded).toContain(me);
    expect(await dev.unmask({ step: 'unmasking', roundId: 'round-1', survivors: padded })).toMatchObject({ ok: false, reason: 'not-in-cohort' });
    // U2 that meets minCohort only through an id that was not a participant of share keys
    let victim = '';
    const r2 = await runRound(base({
      tamperMasked: (reqs) => {
        victim = Object.keys(reqs)[2]!;
        const req = reqs[victim]!;
        req.cohort = [...req.cohort.slice(0, 9), 'dev-zzzz'].sort();
        if (!req.cohort.includes(victim)) req.cohort = [...req.cohort.slice(1), victim].sort();
      },
    }));
    expect(r2.refusals).toContainEqual({ id: victim, step: 'masked-input', reason: 'not-a-participant' });
  });

  it('runs beforeMask only once every masked-input check passed', async () => {
    const run = await runRound(base());
    const st = run.sharedStates[0]!;
    const nine = [st.id, ...st.participants!.filter((p) => p !== st.id).slice(0, 8)].sort();
    let calls = 0;
    const out = await SecAggDevice.fromJSON(st).maskedInput({ step: 'masked-input', roundId: 'round-1', cohort: nine, shares: [] }, new Uint32Array(200), async () => { calls++; });
    expect(out).toMatchObject({ ok: false, reason: 'cohort-too-small' });
    expect(calls).toBe(0);
  });

  it('rejects a forged envelope (the AES-GCM tag fails) and the round goes on without that device', async () => {
    let victim = '';
    const run = await runRound(base({
      tamperMasked: (reqs) => {
        victim = Object.keys(reqs)[4]!;
        const e = reqs[victim]!.shares[0]!;
        const bytes = fromB64(e.envelope)!;
        bytes[20]! ^= 1;
        e.envelope = toB64(bytes);
      },
    }));
    expect(run.refusals).toContainEqual({ id: victim, step: 'masked-input', reason: 'bad-share' });
    const survivors = run.ids.filter((id) => id !== victim);
    expect(run.result!.survivors).toEqual(survivors);
    expect(Array.from(run.result!.sum)).toEqual(Array.from(run.expected(survivors)));
  });

  it('rejects a replayed envelope: one sealed for another recipient', async () => {
    let victim = '';
    const run = await runRound(base({
      tamperMasked: (reqs) => {
        // v sealed an envelope for w; the server hands it to u (a common neighbour of v) as if it were u's
        for (const [u, req] of Object.entries(reqs)) {
          for (const e of req.shares) {
            const other = Object.entries(reqs).find(([w, r]) => w !== u && r.shares.some((x) => x.from === e.from));
            if (!other) continue;
            e.envelope = other[1].shares.find((x) => x.from === e.from)!.envelope;
            victim = u;
            return;
          }
        }
      },
    }));
    expect(run.refusals).toContainEqual({ id: victim, step: 'masked-input', reason: 'bad-share' });
    expect(run.result).toBeDefined();
  });

  it('rejects an envelope replayed from another round', async () => {
    const spec = base({ n: 10, server: { minCohort: 6, k: 4, t: 2, seed: toB64(new Uint8Array(32)) }, policy: { minCohort: 6, minDegree: 4, minThreshold: 2 } });
    let old: Record<string, { from: string; envelope: string }[]> = {};
    await runRound({ ...spec, tamperMasked: (reqs) => { old = Object.fromEntries(Object.entries(reqs).map(([u, r]) => [u, r.shares])); } });
    let victim = '';
    const run = await runRound({ ...spec, server: { ...spec.server, roundId: 'round-2' }, tamperMasked: (reqs) => {
      // the graph depends on the round id, so pick a pair that are neighbours in both rounds
      for (const [u, req] of Object.entries(reqs)) {
        const e = req.shares.find((x) => old[u]?.some((o) => o.from === x.from));
        if (!e) continue;
        e.envelope = old[u]!.find((o) => o.from === e.from)!.envelope;
        victim = u;
        return;
      }
    } });
    expect(victim).not.toBe('');
    expect(run.refusals).toContainEqual({ id: victim, step: 'masked-input', reason: 'bad-share' });
  });

  it('refuses a neighbour graph it cannot reproduce from the seed and the participant list', async () => {
    const run = await runRound(base({
      tamperShareKeys: (reqs) => {
        const [u, req] = Object.entries(reqs)[0]!;
        const outsider = req.participants.find((p) => p !== u && !req.neighbours.some((n) => n.id === p))!;
        const copy = reqs[outsider]!.neighbours.find((n) => n.id !== u)!;
        req.neighbours[0] = { ...req.neighbours[0]!, id: outsider, cPk: copy.cPk, sPk: copy.sPk };
        req.neighbours.sort((a, b) => (a.id < b.id ? -1 : 1));
      },
    }));
    expect(run.refusals.filter((r) => r.reason === 'graph-mismatch')).toHaveLength(1);
  });

  it('refuses a degree, threshold or cohort below its policy', async () => {
    const low = await runRound(base({ server: { minCohort: 10, k: 6, t: 4 } }));
    expect(low.refusals.filter((r) => r.reason === 'degree-too-low')).toHaveLength(20);
    const lowT = await runRound(base({ server: { minCohort: 10, k: 10, t: 3 } }));
    expect(lowT.refusals.filter((r) => r.reason === 'threshold-too-low')).toHaveLength(20);
    const small = await runRound(base({ server: { minCohort: 3, k: 10, t: 4 }, policy: { minCohort: 25, minDegree: 10, minThreshold: 4 } }));
    expect(small.refusals.filter((r) => r.reason === 'cohort-too-small')).toHaveLength(20);
  });

  it('refuses out-of-order and wrong-round requests', async () => {
    const server = SecAggServer.open({ roundId: 'r', bits: 16, d: 4, minCohort: 3, k: 2, t: 2 });
    const dev = SecAggDevice.create('a', { minCohort: 3, minDegree: 2, minThreshold: 2 });
    expect(await dev.unmask({ step: 'unmasking', roundId: 'r', survivors: ['a'] })).toMatchObject({ reason: 'out-of-order' });
    expect(await dev.advertiseKeys({ ...server.advertiseRequest() })).toMatchObject({ ok: true });
    expect(await dev.advertiseKeys({ ...server.advertiseRequest() })).toMatchObject({ reason: 'out-of-order' });
    expect(await dev.shareKeys({ step: 'share-keys', roundId: 'other', k: 2, t: 2, participants: ['a', 'b', 'c'], neighbours: [] })).toMatchObject({ reason: 'wrong-round' });
  });
});

describe('server validation', () => {
  it('rejects malformed, duplicate, unknown and out-of-order replies with a reason, and honest devices finish', async () => {
    const server = SecAggServer.open({ roundId: 'r', bits: 16, d: 8, minCohort: 3, k: 2, t: 2 });
    const ids = ['a', 'b', 'c', 'd'];
    const devs = ids.map((id) => SecAggDevice.create(id, { minCohort: 3, minDegree: 2, minThreshold: 2 }));
    const adv = [];
    for (const d of devs) { const r = await d.advertiseKeys(server.advertiseRequest()); if (r.ok) adv.push(r.message); }
    const a0 = adv[0]!;
    expect(await server.receive({ ...a0, roundId: 'x' })).toMatchObject({ reason: 'wrong-round' });
    expect(await server.receive({ ...a0, cPk: 'not base64!' })).toMatchObject({ reason: 'bad-encoding' });
    expect(await server.receive({ ...a0, cPk: toB64(new Uint8Array(31)) })).toMatchObject({ reason: 'bad-key' });
    expect(await server.receive({ ...a0, step: 'masked-input', y: '' })).toMatchObject({ reason: 'wrong-length' });
    expect(await server.receive({ ...a0, step: 'masked-input', y: toB64(new Uint8Array(16)) })).toMatchObject({ reason: 'out-of-order' });
    expect(await server.receive(null)).toMatchObject({ reason: 'malformed' });
    for (const m of adv) expect(await server.receive(m)).toEqual({ ok: true });
    expect(await server.receive(a0)).toMatchObject({ reason: 'duplicate-sender' });
    expect(await server.receive({ ...a0, sender: 'e' })).toMatchObject({ reason: 'duplicate-key' });
    const sk = await server.closeAdvertise();
    if (!sk.ok) throw new Error(sk.reason);
    const replies = [];
    for (let i = 0; i < 4; i++) { const r = await devs[i]!.shareKeys(sk.message[ids[i]!]!); if (!r.ok) throw new Error(r.reason); replies.push(r.message); }
    expect(await server.receive({ ...replies[0]!, sender: 'zz' })).toMatchObject({ reason: 'unknown-sender' });
    expect(await server.receive({ ...replies[0]!, shares: replies[0]!.shares.slice(1) })).toMatchObject({ reason: 'wrong-recipients' });
    expect(await server.receive({ ...replies[0]!, shares: [{ ...replies[0]!.shares[0]!, envelope: toB64(new Uint8Array(10)) }] })).toMatchObject({ reason: 'wrong-length' });
    for (const r of replies) expect(await server.receive(r)).toEqual({ ok: true });
    const mk = server.closeShareKeys();
    if (!mk.ok) throw new Error(mk.reason);
    const xs = ids.map((_, i) => Uint32Array.from({ length: 8 }, (_, j) => (i * 1000 + j) % 65536));
    const ys = [];
    for (let i = 0; i < 4; i++) { const r = await devs[i]!.maskedInput(mk.message[ids[i]!]!, xs[i]!); if (!r.ok) throw new Error(r.reason); ys.push(r.message); }
    expect(await server.receive({ ...ys[0]!, y: toB64(new Uint8Array(15)) })).toMatchObject({ reason: 'wrong-length' });
    expect(await server.receive({ ...ys[0]!, y: toB64(new Uint8Array(32)) })).toMatchObject({ reason: 'wrong-length' });
    for (const y of ys) expect(await server.receive(y)).toEqual({ ok: true });
    expect(await server.receive(ys[1]!)).toMatchObject({ reason: 'duplicate-sender' });
    const um = server.closeMaskedInput();
    if (!um.ok) throw new Error(um.reason);
    const us = [];
    for (let i = 0; i < 4; i++) { const r = await devs[i]!.unmask(um.message[ids[i]!]!); if (!r.ok) throw new Error(r.reason); us.push(r.message); }
    expect(await server.receive({ ...us[0]!, shares: us[0]!.shares.map((s) => ({ ...s, kind: 's' as const })) })).toMatchObject({ reason: 'bad-share' });
    for (const u of us) expect(await server.receive(u)).toEqual({ ok: true });
    const fin = await server.finish();
    if (!fin.ok) throw new Error(fin.reason);
    const want = xs.reduce((acc, x) => acc.map((v, j) => (v + x[j]!) % 65536), new Uint32Array(8));
    expect(Array.from(fin.message.sum)).toEqual(Array.from(want));
  });

  it('catches a wrong share: the rebuilt b must match its commitment', async () => {
    const run = await runRound(base({ n: 10, server: { minCohort: 6, k: 4, t: 4 }, policy: { minCohort: 6, minDegree: 4, minThreshold: 4 }, drop: { unmask: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] } }));
    // every device dropped in unmasking, so nothing was unmasked: replay one honest reply with a flipped share
    expect(run.failure).toMatch(/^below-threshold/);
    const state = run.server.toJSON();
    state.stage = 'unmasking';
    const server = SecAggServer.fromJSON(state);
    for (const [id, dev] of run.devices.map((d, i) => [run.ids[i]!, d] as const)) {
      const r = await dev.unmask({ step: 'unmasking', roundId: 'round-1', survivors: state.survivors! });
      if (!r.ok) throw new Error(r.reason);
      if (id === run.ids[0]) { const b = fromB64(r.message.shares[0]!.share)!; b[0]! ^= 1; r.message.shares[0]!.share = toB64(b); }
      expect(await server.receive(r.message)).toEqual({ ok: true });
    }
    expect(await server.finish()).toMatchObject({ ok: false, reason: 'reconstruction-failed' });
  });
});
