/**
 * The device's side of one secure-aggregation round over the aggregator's HTTP steps (docs/secure-aggregation.md):
 * encode the clipped delta with the distributed discrete Gaussian the round announces and the device's own noise
 * share (`encodeDdg` with `checkRound`'s `noise.encode`), then run `SecAggDevice` (@perch/learn/secagg) through
 * advertise keys → share keys → masked input → unmasking. Built into `perch-secagg.js` (entries/secagg.ts), which
 * the core worker loads only when it takes part in such a round: the crypto, the Shamir library and the exact
 * sampler stay out of the core bundle.
 *
 * Transport. Each step is a POST of the library's message in its binary wire form (`SECAGG_CONTENT_TYPE`),
 * answered 200 with the next step's request in the same form once the stage closes, or 202 (with Retry-After)
 * while it is still open; the device then re-sends the same bytes. The credential comes in advertise's answer
 * (`SECAGG_TOKEN_HEADER`); the device's id is its part before the dot. A request that does not read as the
 * expected step's (`readRequest`) is refused like one the state machine refuses. Network errors, 408, 429 and 5xx
 * are retried the same way; nothing is sent past the round's deadline or once the page withdraws what taking part
 * needs (`blocked`: consent, GPC, mode, forget(), the worker closing); any other answer ends the device's part.
 * The caller's `post` logs every body byte for byte before it leaves (the transparency log) and adds the Bearer
 * credential the aggregator issued at advertise.
 *
 * Privacy order. The ε of the upload is recorded and persisted (`record`) once the masked-input request passed the
 * state machine's checks and before the masked vector is computed or sent: a round refused at any earlier check
 * costs no ε. The key material lives in the state machine only, in memory, for this round.
 *
 * Survivors. Before its unmasking shares leave, the device hands the caller the count and hash of the survivor set
 * it unmasks for (`unmasking`), which the caller later compares with the published version (survivors.ts).
 */
import { isRetryable, retryAfterSeconds, type RoundDescription } from '@perch/learn/client';
import { encodeDdg } from '@perch/learn/ddg';
import { secaggDevicePolicy, type SecAggPolicy, type SecAggRoundAccepted } from '@perch/learn/privacy';
import {
  encodeReply, readRequest, SecAggDevice, SECAGG_CONTENT_TYPE, SECAGG_TOKEN_HEADER,
  type MaskedInputRequest, type Outcome, type ShareKeysRequest, type Step, type UnmaskRequest, type WireContext, type WireReply, type WireRequest,
} from '@perch/learn/secagg';
import { survivorsDigest } from './survivors.js';

/** One HTTP exchange as the caller makes it: logged before sending, with the credential once there is one. */
export type SecAggPost = (url: string, body: Uint8Array, contentType: string, token: string | undefined, timeoutMs: number) => Promise<Response>;

export interface SecAggRunArgs {
  /** Aggregator base URL (no trailing slash). */
  base: string;
  round: RoundDescription;
  accepted: SecAggRoundAccepted;
  policy: SecAggPolicy;
  /** The device's locally trained delta on the round's `ddg.tensors` (length `ddg.dim`). */
  delta: Float32Array;
  post: SecAggPost;
  /** Records and persists the upload's ε; called once, after the masked-input checks and before the masked vector is made. */
  record(): Promise<void>;
  /** Why the device must not send now (consent withdrawn, GPC, mode changed, forget(), worker closing), or null. */
  blocked(): string | null;
  state(s: string): void;
  /**
   * Called once the state machine accepted the unmask request, before the shares are sent, with the count and
   * SHA-256 of the survivor set U3 it lists: what the version the round publishes must state (survivors.ts).
   */
  unmasking?(u: { survivors: number; sha256: string }): Promise<void>;
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

type Answer = { ok: true; bytes: Uint8Array; type: string } | { ok: false; status: number | null; detail: string } | { ok: false; stopped: string };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A Retry-After header in milliseconds, bounded to [0.2 s, 10 s]; `dflt` when absent or unreadable. */
function retryAfterMs(res: Response | null, dflt: number): number {
  const v = retryAfterSeconds(res?.headers.get('retry-after'));
  return v !== undefined ? Math.min(10_000, Math.max(200, v * 1000)) : dflt;
}

/**
 * Wait before re-sending after a network error or a retryable status (the aggregator restarting, overloaded):
 * its Retry-After when it gave one, else "equal jitter" over [b/2, b) with b = min(8 s, 0.5 s · 2^attempt), so
 * that a cohort whose requests all failed together does not come back together. `random` is in [0, 1).
 */
export function retryWaitMs(res: Response | null, attempt: number, random: number): number {
  const b = Math.min(8_000, 500 * 2 ** Math.max(0, attempt));
  return retryAfterMs(res, Math.floor(b / 2 + random * (b / 2)));
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
  /** What the wire form needs: d and bits, and the participants once the share-keys request came. */
  const ctx: WireContext = { d: view.d, bits: view.bits };

  /** POSTs `body` until a final answer: 200, a refusal, or the round's deadline. */
  const exchange = async (path: string, body: Uint8Array, contentType: string): Promise<Answer> => {
    const url = new URL(path, `${a.base}/`).href;
    let attempt = 0;
    for (;;) {
      if (Date.now() >= deadline) return { ok: false, status: null, detail: 'the round\'s deadline passed' };
      const stop = a.blocked();
      if (stop) return { ok: false, stopped: stop };
      let res: Response | null = null;
      try { res = await a.post(url, body, contentType, token, timeoutMs); } catch { /* network error: retried */ }
      const issued = res?.headers.get(SECAGG_TOKEN_HEADER);
      if (issued) token = issued; // advertise: the credential comes with its first answer (202 or 200)
      if (res?.status === 200) return { ok: true, bytes: new Uint8Array(await res.arrayBuffer()), type: res.headers.get('content-type') ?? '' };
      if (res && res.status !== 202 && !isRetryable(res.status)) {
        const p = await bodyOf(res);
        return { ok: false, status: res.status, detail: String(p.reason ?? p.detail ?? p.title ?? `HTTP ${res.status}`) };
      }
      if (res?.status === 202) {
        await sleep(retryAfterMs(res, 1_000));
      } else {
        await sleep(retryWaitMs(res, attempt++, Math.random()));
      }
    }
  };
  const refused = (step: string, r: { reason: string; detail: string }): SecAggOutcome => ({ outcome: 'refused', step, reason: r.reason, detail: r.detail });
  const failed = (step: string, r: { status: number | null; detail: string } | { stopped: string }): SecAggOutcome =>
    ('stopped' in r ? { outcome: 'stopped', step, reason: r.stopped } : { outcome: 'failed', step, status: r.status, detail: r.detail });
  /** The request of `step` that a 200 answer carries in the wire form, or why it is refused. */
  const request = <T extends WireRequest>(r: Answer & { ok: true }, step: Step): Outcome<T> => {
    const type = r.type.split(';')[0]!.trim().toLowerCase();
    if (type !== SECAGG_CONTENT_TYPE) return { ok: false, reason: 'malformed', detail: `the answer is ${type || 'untyped'}, not ${SECAGG_CONTENT_TYPE}` };
    const q = readRequest(r.bytes, ctx, step);
    if (q.ok && q.message.step === 'share-keys') ctx.participants = q.message.participants;
    return q as Outcome<T>;
  };
  const wire = (m: WireReply): Uint8Array => encodeReply(m, ctx);

  a.state('encoding the update');
  const encoded = encodeDdg(a.delta, a.accepted.noise.encode).values;
  a.keep?.(roundId, encoded);

  let dev = SecAggDevice.create('pending', secaggDevicePolicy(a.policy));
  const adv = await dev.advertiseKeys({ step: 'advertise-keys', roundId: String(roundId), seed: view.graphSeed, bits: view.bits, d: view.d });
  if (!adv.ok) return refused('advertise-keys', adv);
  a.state('secure aggregation: advertise keys');
  // The sender is empty: the aggregator assigns the id (no device chooses its place on the graph).
  const r0 = await exchange(s.urls.advertise, wire({ ...adv.message, sender: '' }), SECAGG_CONTENT_TYPE);
  if (!r0.ok) return failed('advertise-keys', r0);
  const id = token?.split('.')[0];
  if (!id) return failed('advertise-keys', { status: 200, detail: 'no credential in the answer' });
  // The state machine takes the assigned id now, before share keys, where it starts to matter.
  dev = SecAggDevice.fromJSON({ ...dev.toJSON(), id });

  const step = async <Req extends WireRequest, Msg extends WireReply>(name: Step, path: string, req: Outcome<Req>, answer: (req: Req) => Promise<Outcome<Msg>>): Promise<Answer | SecAggOutcome> => {
    if (!req.ok) return refused(name, req);
    const out = await answer(req.message);
    if (!out.ok) return refused(name, out);
    a.state(`secure aggregation: ${name}`);
    return exchange(path, wire(out.message), SECAGG_CONTENT_TYPE);
  };
  const isOutcome = (v: Answer | SecAggOutcome): v is SecAggOutcome => 'outcome' in v;

  const r1 = await step('share-keys', s.urls.shareKeys, request<ShareKeysRequest>(r0, 'share-keys'), (q) => dev.shareKeys(q));
  if (isOutcome(r1)) return r1;
  if (!r1.ok) return failed('share-keys', r1);

  // The upload's ε is on record before the masked vector exists, and only once the request passed the device's
  // checks (nothing is recorded once the page said stop).
  const stop = a.blocked();
  if (stop) return { outcome: 'stopped', step: 'masked-input', reason: stop };
  // y travels packed at `bits` (the library's packing is ddg's `pack`).
  const r2 = await step('masked-input', s.urls.maskedInput, request<MaskedInputRequest>(r1, 'masked-input'), (q) => dev.maskedInput(q, encoded, a.record));
  if (isOutcome(r2)) return r2;
  if (!r2.ok) return failed('masked-input', r2);

  const unmask = async (q: UnmaskRequest): Promise<Outcome<WireReply>> => {
    const out = await dev.unmask(q);
    if (out.ok) await a.unmasking?.(await survivorsDigest(q.survivors));
    return out;
  };
  const r3 = await step('unmasking', s.urls.unmask, request<UnmaskRequest>(r2, 'unmasking'), unmask);
  if (isOutcome(r3)) return r3;
  if (!r3.ok) return failed('unmasking', r3);
  return { outcome: 'done' };
}
