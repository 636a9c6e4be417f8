/**
 * The messages of one secure-aggregation round, as plain JSON (bytes as unpadded base64url), in the papers' round
 * order: 0 advertise keys, 1 share keys, 2 masked input collection, 3 unmasking. Each request goes server → device
 * and each reply device → server; the transport (HTTP in Perch) is the caller's. `checkShape` validates a reply's
 * structure and encodings before either state machine looks at it, and every refusal carries a reason code.
 */
import { fromB64, fromB64Len, packedBytes } from './bytes.js';
import { SHARE_BYTES } from './shamir.js';

export const KEY_BYTES = 32;
export const COMMIT_BYTES = 32;
/** An encrypted share pair: 12-byte nonce ‖ (b-share ‖ s-share) ‖ 16-byte GCM tag. */
export const ENVELOPE_BYTES = 12 + 2 * SHARE_BYTES + 16;

export type Step = 'advertise-keys' | 'share-keys' | 'masked-input' | 'unmasking';
export const STEPS: readonly Step[] = ['advertise-keys', 'share-keys', 'masked-input', 'unmasking'];

export type Reason =
  | 'malformed' | 'bad-version' | 'bad-encoding' | 'wrong-length' | 'bad-key' | 'bad-params' | 'bad-input'
  | 'wrong-round' | 'out-of-order' | 'unknown-sender' | 'duplicate-sender' | 'duplicate-key'
  | 'wrong-recipients' | 'missing-share' | 'bad-share'
  | 'graph-mismatch' | 'degree-too-low' | 'threshold-too-low' | 'cohort-too-small' | 'too-few-neighbours'
  | 'not-a-participant' | 'not-in-cohort' | 'not-a-survivor' | 'both-shares' | 'below-threshold' | 'reconstruction-failed';

export interface Rejection { reason: Reason; detail: string }
export type Outcome<M> = { ok: true; message: M } | ({ ok: false } & Rejection);
export const reject = (reason: Reason, detail: string): { ok: false } & Rejection => ({ ok: false, reason, detail });

/** The round's public constants, fixed when the server opens the round. */
export interface RoundConfig {
  roundId: string;
  /** Round-public seed of the neighbour graph (base64url, 32 bytes). */
  seed: string;
  /** Masks and sums live in Z_(2^bits), 1 ≤ bits ≤ 32. */
  bits: number;
  /** Vector length. */
  d: number;
}

export interface PublicKeys { id: string; cPk: string; sPk: string }

/** Round 0, server → device. */
export interface AdvertiseKeysRequest extends RoundConfig { step: 'advertise-keys' }
/** Round 0, device → server: the two fresh public keys (c: share encryption, s: mask agreement). */
export interface AdvertiseKeys { step: 'advertise-keys'; roundId: string; sender: string; cPk: string; sPk: string }

/** Round 1, server → device: the cohort, the graph parameters and this device's neighbours' keys. */
export interface ShareKeysRequest {
  step: 'share-keys'; roundId: string; k: number; t: number;
  /** Every device whose keys the server accepted (the cohort U1), sorted. */
  participants: string[];
  neighbours: PublicKeys[];
}
/** Round 1, device → server: a commitment to b and one envelope per neighbour. */
export interface ShareKeys {
  step: 'share-keys'; roundId: string; sender: string;
  /** SHA-256 over (round, sender, b): lets the server check the b it reconstructs. */
  bCommit: string;
  shares: { to: string; envelope: string }[];
}

/** Round 2, server → device: who completed round 1 (U2) and the envelopes addressed to this device. */
export interface MaskedInputRequest {
  step: 'masked-input'; roundId: string; cohort: string[]; shares: { from: string; envelope: string }[];
}
/** Round 2, device → server: y = x + PRG(b) + Σ ±PRG(s_uv) mod 2^bits, packed (`encodeVector`). */
export interface MaskedInput { step: 'masked-input'; roundId: string; sender: string; y: string }

/** Round 3, server → device: the devices whose masked input arrived (U3), sorted. */
export interface UnmaskRequest { step: 'unmasking'; roundId: string; survivors: string[] }
/** Round 3, device → server: per neighbour in U2, its b-share if it survived, else its s-share. */
export interface Unmask {
  step: 'unmasking'; roundId: string; sender: string;
  shares: { owner: string; kind: 'b' | 's'; share: string }[];
}

export type DeviceReply = AdvertiseKeys | ShareKeys | MaskedInput | Unmask;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 128;

/** Structural check of a device reply: fields, types, encodings and lengths. `undefined` when well-formed. */
export function checkShape(msg: unknown, d?: number, bits?: number): Rejection | undefined {
  if (!isObj(msg)) return { reason: 'malformed', detail: 'not an object' };
  if (typeof msg.roundId !== 'string') return { reason: 'malformed', detail: 'roundId' };
  if (!isId(msg.sender)) return { reason: 'malformed', detail: 'sender' };
  switch (msg.step) {
    case 'advertise-keys':
      for (const f of ['cPk', 'sPk'] as const) {
        const b = fromB64(msg[f]);
        if (!b) return { reason: 'bad-encoding', detail: f };
        if (b.length !== KEY_BYTES) return { reason: 'bad-key', detail: `${f} is ${b.length} bytes` };
      }
      return undefined;
    case 'share-keys': {
      if (!fromB64Len(msg.bCommit, COMMIT_BYTES)) return { reason: 'wrong-length', detail: 'bCommit' };
      if (!Array.isArray(msg.shares)) return { reason: 'malformed', detail: 'shares' };
      for (const s of msg.shares) {
        if (!isObj(s) || !isId(s.to)) return { reason: 'malformed', detail: 'share entry' };
        const e = fromB64(s.envelope);
        if (!e) return { reason: 'bad-encoding', detail: `envelope to ${s.to}` };
        if (e.length !== ENVELOPE_BYTES) return { reason: 'wrong-length', detail: `envelope to ${s.to}` };
      }
      return undefined;
    }
    case 'masked-input': {
      if (typeof msg.y !== 'string') return { reason: 'malformed', detail: 'y' };
      if (d !== undefined && bits !== undefined) {
        const bytes = fromB64(msg.y);
        if (!bytes) return { reason: 'bad-encoding', detail: 'y' };
        if (bytes.length !== packedBytes(d, bits)) return { reason: 'wrong-length', detail: `y is ${bytes.length} bytes` };
      }
      return undefined;
    }
    case 'unmasking': {
      if (!Array.isArray(msg.shares)) return { reason: 'malformed', detail: 'shares' };
      for (const s of msg.shares) {
        if (!isObj(s) || !isId(s.owner) || (s.kind !== 'b' && s.kind !== 's')) return { reason: 'malformed', detail: 'share entry' };
        if (!fromB64Len(s.share, SHARE_BYTES)) return { reason: 'wrong-length', detail: `share of ${s.owner}` };
      }
      return undefined;
    }
    default:
      return { reason: 'malformed', detail: 'unknown step' };
  }
}

/** Associated data of the envelope from `sender` to `recipient`: a share opens only in the round, direction and
 * step it was made for (a replay into another round or to another recipient fails the tag). */
export function envelopeAad(roundId: string, sender: string, recipient: string): (string)[] {
  return ['share-keys', roundId, sender, recipient];
}
