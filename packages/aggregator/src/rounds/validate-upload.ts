/**
 * Validation of one upload against the round it targets, before anything is stored. Returns the decoded
 * update and its dequantised norm, or the Problem to answer with. Order matters: cheap structural checks
 * first, then the round, then the values.
 */
import { quantizedNorm } from '@perch/learn/server';
import { decodeUpdate, type Layout, type UpdatePayload, type WireErrorCode } from '@perch/learn/update';
import { problems, type Problem } from '../problem.js';
import type { RoundRecord } from '../store/types.js';

const MALFORMED: readonly WireErrorCode[] = ['truncated', 'bad_magic', 'length_mismatch'];

/** Structural decode, independent of any round: 400 for bytes that are not an update at all, 422 otherwise. */
export function decodeOrProblem(bytes: Uint8Array): { update: UpdatePayload } | { problem: Problem } {
  const d = decodeUpdate(bytes, { view: true });
  if (d.ok) return { update: d.update };
  if (MALFORMED.includes(d.error.code)) return { problem: problems.malformed(d.error.message) };
  return { problem: problems.invalid(`invalid-${d.error.code.replace(/_/g, '-')}`, 'Invalid update', d.error.message) };
}

/** `Idempotency-Key` header (sf-string or bare token) → lowercase key, or undefined if absent. */
export function headerKey(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const v = (Array.isArray(raw) ? raw[0]! : raw).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  return v;
}

export interface RoundCheck { round: RoundRecord | undefined; layout: Layout; now: number; uploadBound: number; normTolerance: number; urlRoundId: number }

/** Checks an update against its round and the value constraints. */
export function checkAgainstRound(u: UpdatePayload, c: RoundCheck): { norm: number } | { problem: Problem } {
  const { round } = c;
  if (u.roundId !== c.urlRoundId) {
    return { problem: problems.invalid('round-mismatch', 'Round mismatch', `payload is for round ${u.roundId}, URL names round ${c.urlRoundId}`) };
  }
  if (!round) return { problem: problems.notFound(`round ${c.urlRoundId} does not exist`) };
  if (round.status !== 'open' || c.now >= round.deadline) {
    return { problem: problems.closed(`round ${round.id} no longer accepts updates`, { roundId: round.id }) };
  }
  if (u.baseVersion < round.baseVersion) {
    return { problem: problems.stale(`update computed against model version ${u.baseVersion}; round ${round.id} is on version ${round.baseVersion}`, { currentVersion: round.baseVersion }) };
  }
  if (u.baseVersion > round.baseVersion) {
    return { problem: problems.invalid('unknown-model-version', 'Unknown model version', `model version ${u.baseVersion} has not been published`) };
  }
  const { layout } = c;
  if (u.scales.length !== layout.tensors.length || u.q.length !== layout.size || u.layoutHash !== layout.hash) {
    return { problem: problems.invalid('wrong-shape', 'Tensor layout does not match', `tensor layout ${u.layoutHash} (${u.scales.length} tensors, ${u.q.length} values) does not match ${layout.hash} (${layout.tensors.length}, ${layout.size})`) };
  }
  if (u.clientWeight < 1) return { problem: problems.invalid('invalid-weight', 'Invalid client weight', 'client weight must be ≥ 1') };
  // Norm and finiteness of the dequantised values (q·scale) without materialising them: per tensor,
  // Σ (q·s)² = s² Σ q². Every q·s is a finite float32 when s·128 is (|q| ≤ 128); an honest scale is
  // max|x|/127, so this only refuses scales no real delta has.
  const { norm, finite } = quantizedNorm(u, layout);
  if (!finite) return { problem: problems.invalid('non-finite', 'Non-finite values', 'a tensor has non-finite values after dequantisation') };
  if (!Number.isFinite(norm) || norm > c.uploadBound * c.normTolerance) {
    return { problem: problems.invalid('norm-too-large', 'Update norm above bound', `L2 norm ${norm.toPrecision(4)} exceeds ${(c.uploadBound * c.normTolerance).toPrecision(4)} (bound ${c.uploadBound.toPrecision(4)} × tolerance ${c.normTolerance})`) };
  }
  return { norm };
}
