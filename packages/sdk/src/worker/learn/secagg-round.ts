/**
 * The device's side of one secure-aggregation round over the aggregator's HTTP steps (docs/secure-aggregation.md):
 * encode the clipped delta with the distributed discrete Gaussian the round announces and the device's own noise
 * share (`encodeDdg` with `checkRound`'s `noise.encode`), then run `SecAggDevice` (@perch/learn/secagg) through
 * advertise keys → share keys → masked input → unmasking. Built into `perch-secagg.js` (entries/secagg.ts), which
 * the core worker loads only when it takes part in such a round: the crypto, the Shamir library and the exact
 * sampler stay out of the core bundle.
 *
 * Transport. Each step is a POST answered 200 with the next step's request once the stage closes, or 202 (with
 * Retry-After) while it is still open; the device then re-sends the same bytes. Network errors, 408, 429 and 5xx
 * are retried the same way; nothing is sent past the round's deadline or once the page withdraws what taking part
 * needs (`blocked`: consent, GPC, mode, forget(), the worker closing); any other answer ends the device's part.
 * The caller's `post` logs every body byte for byte before it leaves (the transparency log) and adds the Bearer
 * credential the aggregator issued at advertise.
 *
 * Privacy order. The ε of the upload is recorded and persisted (`record`) once the masked-input request passed the
 * state machine's checks and before the masked vector is computed or sent: a round refused at any earlier check
 * costs no ε. The key material lives in the state machine only, in memory, for this round.
 */
import { isRetryable, type RoundDescription } from '@perch/learn/client';
import { encodeDdg } from '@perch/learn/ddg';
import { secaggDevicePolicy, type SecAggPolicy, type SecAggRoundAccepted } from '@perch/learn/privacy';
import { fromB64, SecAggDevice, type MaskedInputRequest, type Outcome, type ShareKeysRequest, type UnmaskRequest } from '@perch/learn/secagg';

/** One HTTP exchange as the caller makes it: logged before sending, with the credential once there is one. */
export type SecAggPost = (url: string, body: Uint8Array, contentType: string, token: string | undefined, timeoutMs: number) => Promise<Response>;

export interface SecAggRunArgs {
  /** Aggregator base URL (no trailing slash). */
  base: string;
  round: RoundDescription;
  accepted: SecAggRoundAccepted;
  policy: SecAggPolicy;
  /** The device's locally trained delta (layout order, length `ddg.dim`). */
  delta: Float32Array;
  post: SecAggPost;
  /** Records and persists the upload's ε; called once, after the masked-input checks and before the masked vector is made. */
  record(): Promise<void>;
  /** Why the device must not send now (consent withdrawn, GPC, mode changed, forget(), worker closing), or null. */
  blocked(): string | null;
  state(s: string): void;
  /** Test hook (`__test.keepSecAggInput`): receives the encoded vector before masking. */
  keep?: (roundId: number, values: Uint32Array) => void;
}

export type SecAggOutcome =
  | { outcome: 'done' }
  /** The device's state machine refused a step (its policy or the protocol): a refusal of the round. */
  | { outcome: 'refused'; step: string; reason: string; detail: string }
  /** The aggregator refused a message or the round ended before this device's part did. */
  | { outcome: 'failed'; step: string; status: number | null; detail: string }
  /** The page withdrew what the device needs to take part: nothing more was sent. */
  | { outcome: 'stopped'; step: string; reason: string };

type Answer = { ok: true; body: Record<string, unknown> } | { ok: false; status: number | null; detail: string } | { ok: false; stopped: string };

const TEXT = new TextEncoder();
const jsonBytes = (v: unknown): Uint8Array => TEXT.encode(JSON.stringify(v));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Seconds of a Retry-After header, bounded; `dflt` when absent or unreadable. */
function retryAfterMs(res: Response | null, dflt: number): number {
  const v = Number(res?.headers.get('retry-after'));
  return Number.isFinite(v) && v >= 0 ? Math.min(10_000, Math.max(200, v * 1000)) : dflt;
}

async function bodyOf(res: Response): Promise<Record<string, unknown>> {
  try {
    const v = (await res.json()) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {};
  } catch { return {}; }
}

export async function runSecAggRound(a: SecAggRunArgs): Promise<SecAggOutcome> {
  const view = a.accepted.secagg, s = a.round.secagg!;
  const deadline = Date.parse(a.round.deadline);
  const roundId = a.round.roundId;
  const timeoutMs = Math.max(30_000, (Number.isFinite(s.longPollMs) ? s.longPollMs : 0) + 15_000);
  let token: string | undefined;

  /** POSTs `body` until a final answer: 200, a refusal, or the round's deadline. */
  const exchange = async (path: string, body: Uint8Array, contentType: string): Promise<Answer> => {
    const url = new URL(path, `${a.base}/`).href;
    let backoff = 500;
    for (;;) {
      if (Date.now() >= deadline) return { ok: false, status: null, detail: 'the round\'s deadline passed' };
      const stop = a.blocked();
      if (stop) return { ok: false, stopped: stop };
      let res: Response | null = null;
      try { res = await a.post(url, body, contentType, token, timeoutMs); } catch { /* network error: retried */ }
      if (res?.status === 200) return { ok: true, body: await bodyOf(res) };
      if (res && res.status !== 202 && !isRetryable(res.status)) {
        const p = await bodyOf(res);
        return { ok: false, status: res.status, detail: String(p.reason ?? p.detail ?? p.title ?? `HTTP ${res.status}`) };
      }
      if (res?.status === 202) {
        const p = await bodyOf(res);
        if (typeof p.token === 'string') token = p.token; // advertise: the credential comes with the first answer
        await sleep(retryAfterMs(res, 1_000));
      } else {
        await sleep(retryAfterMs(res, backoff));
        backoff = Math.min(8_000, backoff * 2);
      }
    }
  };
  const refused = (step: string, r: { reason: string; detail: string }): SecAggOutcome => ({ outcome: 'refused', step, reason: r.reason, detail: r.detail });
  const failed = (step: string, r: { status: number | null; detail: string } | { stopped: string }): SecAggOutcome =>
    ('stopped' in r ? { outcome: 'stopped', step, reason: r.stopped } : { outcome: 'failed', step, status: r.status, detail: r.detail });
  const request = <T>(r: Answer): T | undefined => (r.ok && r.body.request && typeof r.body.request === 'object' ? r.body.request as T : undefined);

  a.state('encoding the update');
  const encoded = encodeDdg(a.delta, a.accepted.noise.encode).values;
  a.keep?.(roundId, encoded);

  let dev = SecAggDevice.create('pending', secaggDevicePolicy(a.policy));
  const adv = await dev.advertiseKeys({ step: 'advertise-keys', roundId: String(roundId), seed: view.graphSeed, bits: view.bits, d: view.d });
  if (!adv.ok) return refused('advertise-keys', adv);
  a.state('secure aggregation: advertise keys');
  const r0 = await exchange(s.urls.advertise, jsonBytes({ cPk: adv.message.cPk, sPk: adv.message.sPk }), 'application/json');
  if (!r0.ok) return failed('advertise-keys', r0);
  const id = r0.body.deviceId, shareReq = request<ShareKeysRequest>(r0);
  if (typeof id !== 'string' || typeof r0.body.token !== 'string' || !shareReq) return failed('advertise-keys', { status: 200, detail: 'no device id, credential or share-keys request in the answer' });
  token = r0.body.token;
  // The aggregator assigns the id (no device chooses its place on the graph); the state machine takes it now.
  dev = SecAggDevice.fromJSON({ ...dev.toJSON(), id });

  const step = async <Req, Msg>(name: string, path: string, req: Req | undefined, answer: (req: Req) => Promise<Outcome<Msg>>, bytes: (m: Msg) => Uint8Array, type: string): Promise<Answer | SecAggOutcome> => {
    if (!req) return failed(name, { status: 200, detail: `no ${name} request in the answer` });
    const out = await answer(req);
    if (!out.ok) return refused(name, out);
    a.state(`secure aggregation: ${name}`);
    return exchange(path, bytes(out.message), type);
  };
  const json = (m: unknown): Uint8Array => jsonBytes(m);
  const isOutcome = (v: Answer | SecAggOutcome): v is SecAggOutcome => 'outcome' in v;

  const r1 = await step('share-keys', s.urls.shareKeys, shareReq, (q) => dev.shareKeys(q), json, 'application/json');
  if (isOutcome(r1)) return r1;
  if (!r1.ok) return failed('share-keys', r1);

  // The upload's ε is on record before the masked vector exists, and only once the request passed the device's
  // checks (nothing is recorded once the page said stop).
  const stop = a.blocked();
  if (stop) return { outcome: 'stopped', step: 'masked-input', reason: stop };
  const r2 = await step('masked-input', s.urls.maskedInput, request<MaskedInputRequest>(r1), (q) => dev.maskedInput(q, encoded, a.record),
    (m) => fromB64(m.y)!, 'application/octet-stream'); // y travels packed at `bits` (the library's packing is ddg's `pack`)
  if (isOutcome(r2)) return r2;
  if (!r2.ok) return failed('masked-input', r2);

  const r3 = await step('unmasking', s.urls.unmask, request<UnmaskRequest>(r2), (q) => dev.unmask(q), json, 'application/json');
  if (isOutcome(r3)) return r3;
  if (!r3.ok) return failed('unmasking', r3);
  return { outcome: 'done' };
}
