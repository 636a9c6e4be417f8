/**
 * The device's checks of a model version before any of its files is used (rerank model and federated base model
 * alike), with the keys the page pins:
 * 1. Signature: the manifest must be signed by a pinned key (Ed25519; `@perch/model/export/signature.ts`).
 * 2. Log position: its `log: {index, prev, head}` must match its body (`manifestPosition`).
 * 3. Against the device's last accepted checkpoint c (trust/state.ts): an index below c is a replay of an old
 *    version; the same index must have the same head; a higher one must extend c: its `prev` is c's head, or the
 *    leaves in between, fetched from the aggregator and re-hashed, lead from c to it (`entryExtends`). Else a fork.
 *    (The aggregator could lie about those leaves to one device; the witness and the next version catch that.)
 * 4. With a witness (`modelLog.witnessUrl`): the witness's signed checkpoint w must be at or past the version's
 *    index and extend it. Fail closed: a witness that is behind, unreachable or inconsistent keeps the previous model.
 * `check` refuses (throws `ModelRefused`) or returns the verdict with a `commit` that advances the checkpoint once
 * the files verified; `commit` re-checks against whatever another tab accepted meanwhile.
 */
import type { Manifest } from '@perch/model/export';
import { entryExtends, extendsTo, isLogPoint, LogError, manifestPosition, type Checkpoint, type LogPoint, type LogPosition, CHECKPOINT_DOMAIN, MANIFEST_DOMAIN, verifySigned, type VerifyOptions } from '@perch/model/export';
import type { ModelTrust, TrustVerdict } from '../../../shared/model-trust.js';
import { describeFailure, timedFetch, TIMEOUT_MS } from '../../net/timed-fetch.js';
import { TrustState, type TrustRecord } from './state.js';

/** A version the device will not use, and why (shown in `audit().model.error` or the federated state). */
export class ModelRefused extends Error {
  override name = 'ModelRefused';
}

export interface Accepted extends TrustVerdict { commit(): Promise<void> }

async function getJson(url: string): Promise<unknown> {
  const res = await timedFetch(url, { credentials: 'omit', cache: 'no-store' }, TIMEOUT_MS.json);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

export class ManifestChecker {
  private readonly state: TrustState;

  constructor(dbName: string, private readonly verify: VerifyOptions) {
    this.state = new TrustState(`${dbName}:trust`);
  }

  /** Checks a manifest fetched from the network (steps 1-4). */
  async check(m: Manifest, trust: ModelTrust): Promise<Accepted> {
    const refuse = (why: string): never => { throw new ModelRefused(`model version ${m.modelVersion} refused: ${why}`); };
    const keyId = await this.signature(m, trust, refuse);
    let pos: LogPosition;
    try { pos = await manifestPosition(m); } catch (e) { return refuse((e as Error).message); }
    const leaves = this.leaves(trust);
    const stored = await this.state.read().catch((e: unknown) => refuse(`its log position cannot be checked (trust state: ${describeFailure(e)})`));
    if (stored) {
      if (pos.index < stored.index) refuse(`replay of an old version: log index ${pos.index} is below this device's checkpoint ${stored.index}`);
      await entryExtends(stored, pos, leaves).catch((e: unknown) => refuse(`fork: ${(e as Error).message} (this device's checkpoint is ${stored.index}, the version is at ${pos.index})`));
    }
    const witness = trust.witnessUrl ? await this.witness(pos, trust, refuse) : undefined;
    return {
      signature: { status: 'verified', keyId },
      log: { index: pos.index, head: pos.head, checked: true, ...(witness ? { witness } : {}) },
      commit: () => this.commit(pos, stored, { ...pos, keyId, at: Date.now(), ...(witness ? { witness } : {}) }, leaves, refuse),
    };
  }

  /**
   * A version the device looks at after the fact (the survivors of a round it took part in), possibly older than its
   * checkpoint: signed by a pinned key and in the log this device accepted. At or below the checkpoint, the
   * checkpoint must extend it; above it, the checks of `check`. Nothing is committed.
   */
  async inLog(m: Manifest, trust: ModelTrust): Promise<void> {
    const refuse = (why: string): never => { throw new ModelRefused(`model version ${m.modelVersion} refused: ${why}`); };
    const stored = await this.state.read().catch((e: unknown) => refuse(`its log position cannot be checked (trust state: ${describeFailure(e)})`));
    let pos: LogPosition;
    try { pos = await manifestPosition(m); } catch (e) { return refuse((e as Error).message); }
    if (!stored || pos.index > stored.index) { await this.check(m, trust); return; }
    await this.signature(m, trust, refuse);
    await extendsTo(pos, stored, this.leaves(trust)).catch((e: unknown) => refuse(`fork: this device's checkpoint ${stored.index} does not extend log index ${pos.index} (${(e as Error).message})`));
  }

  /** A cached copy, whose place in the log was accepted when it was downloaded: its signature against the pins now. */
  async recheck(m: Manifest, trust: ModelTrust): Promise<TrustVerdict> {
    const keyId = await this.signature(m, trust, (why) => { throw new ModelRefused(`cached model version ${m.modelVersion} refused: ${why}`); });
    const stored = await this.state.read().catch(() => null);
    const log = m.log && isLogPoint(m.log) ? { index: m.log.index, head: m.log.head, checked: true, ...(stored?.witness && stored.index === m.log.index ? { witness: stored.witness } : {}) } : undefined;
    return { signature: { status: 'verified', keyId }, ...(log ? { log } : {}) };
  }

  private async signature(m: Manifest, trust: ModelTrust, refuse: (why: string) => never): Promise<string> {
    try {
      return await verifySigned(MANIFEST_DOMAIN, m, trust.keys, this.verify);
    } catch (e) {
      const code = (e as { code?: string }).code;
      return refuse(code === 'unsigned' ? 'unsigned manifest, but modelKeys are pinned' : `${(e as Error).message}`);
    }
  }

  /** Leaves [from, to) from the publisher's log, one page per call. */
  private leaves(trust: ModelTrust) {
    return async (from: number, to: number): Promise<string[]> => {
      if (!trust.logUrl) throw new LogError('fork', 'no log URL to read the leaves between from');
      const page = (await getJson(`${trust.logUrl}/leaves?from=${from}&to=${to}`)) as { from?: number; leaves?: string[] };
      return page.from === from && Array.isArray(page.leaves) ? page.leaves : [];
    };
  }

  /** The witness's checkpoint, signed by a pinned key, at or past `pos` and extending it. */
  private async witness(pos: LogPosition, trust: ModelTrust, refuse: (why: string) => never): Promise<LogPoint> {
    let w: Checkpoint;
    try { w = (await getJson(trust.witnessUrl!)) as Checkpoint; } catch (e) { return refuse(`the witness is unavailable (${describeFailure(e)})`); }
    try { await verifySigned(CHECKPOINT_DOMAIN, w, trust.keys, this.verify); } catch (e) { return refuse(`the witness's checkpoint: ${(e as Error).message}`); }
    if (!isLogPoint(w)) refuse('the witness\'s checkpoint is malformed');
    if (w.index < pos.index) refuse(`the witness has not seen log index ${pos.index} yet (it is at ${w.index})`);
    await extendsTo(pos, w, this.leaves(trust)).catch((e: unknown) => refuse(`fork: the witness's checkpoint ${w.index} does not extend log index ${pos.index} (${(e as Error).message})`));
    return { index: w.index, head: w.head };
  }

  /**
   * Advances the checkpoint to `pos` unless another tab moved it meanwhile: then `pos` must be consistent with
   * what that tab accepted (a fork is refused here too), and the checkpoint only ever moves forward.
   */
  private async commit(pos: LogPosition, checked: TrustRecord | null, next: TrustRecord, leaves: (from: number, to: number) => Promise<string[]>, refuse: (why: string) => never): Promise<void> {
    let expected: LogPoint | null = checked;
    for (let i = 0; i < 5; i++) {
      const cur = await this.state.read();
      const same = cur?.index === expected?.index && cur?.head === expected?.head;
      if (cur && cur.index >= pos.index) {
        await extendsTo(pos, cur, leaves).catch((e: unknown) => refuse(`fork: ${(e as Error).message}`));
        return;
      }
      if (cur && !same) await entryExtends(cur, pos, leaves).catch((e: unknown) => refuse(`fork: ${(e as Error).message}`));
      if (await this.state.advance(cur, next)) return;
      expected = cur;
    }
    refuse('the trust state kept changing while it was being written');
  }
}
