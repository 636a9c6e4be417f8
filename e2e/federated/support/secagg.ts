// Secure-aggregation helpers shared by the browser specs: the aggregator's arguments for a test-sized cohort, the
// encoded vectors a device's worker kept (`__test.keepSecAggInput`), and the step the aggregator must publish for
// a set of survivors (the release of their decoded plain sum), compared with what it did publish.
import type { Worker } from '@playwright/test';
import type { RoundDescription } from '@perch/learn/client';
import { decodeDdgSum, sumModM, type DdgParams } from '@perch/learn/ddg';
import { cryptoRng } from '@perch/learn/privacy';
import { releaseMean, zeroFrozen } from '@perch/learn/server';
import { expandTensors, requireLayout, selectedSize, trainedTensors, type Layout } from '@perch/learn/update';
import { loadExport } from '@perch/model/export';
import type { Device } from './device.js';

// The aggregator's arguments for a browser test of SecAgg+ rounds: min clients and secure-aggregation min cohort 4,
// a cohort of `devices` that closes advertise once all of them advertised, no central noise, clip 1, plain SGD at
// rate 1 (the published step is the released mean), k = 6 (the complete graph on up to seven devices), the given
// threshold t, round length and stage lengths (advertise, share keys, masked input, unmasking, in seconds).
export function secaggAggregatorArgs(o: { devices: number; t: number; roundSeconds: number; stageSeconds: string }): string[] {
  return ['--min-clients', '4', '--target-clients', String(o.devices), '--close-at-target', 'on', '--round-seconds', String(o.roundSeconds), '--sampling', '1',
    '--noise', '0', '--clip', '1', '--server-opt', 'sgd', '--server-lr', '1',
    '--secagg', 'on', '--secagg-k', '6', '--secagg-t', String(o.t), '--secagg-min-cohort', '4', '--secagg-max-cohort', '8',
    '--secagg-stage-seconds', o.stageSeconds, '--secagg-long-poll-ms', '5000'];
}

/** The weights and manifest of `version` as the aggregator at `base` serves them. */
export async function weightsOf(base: string, version: number): Promise<{ weights: Record<string, Float32Array>; manifest: Record<string, unknown> }> {
  const get = async (path: string) => new Uint8Array(await (await fetch(`${base}/v1/model/versions/${version}/${path}`)).arrayBuffer());
  const manifestBytes = await get('manifest.json');
  return { weights: (await loadExport(get, manifestBytes)).weights, manifest: JSON.parse(new TextDecoder().decode(manifestBytes)) as Record<string, unknown> };
}

/** The encoded vector the worker of `d` kept for `roundId`, or undefined. */
export async function keptInput(d: Device, roundId: number): Promise<Uint32Array | undefined> {
  const w: Worker | undefined = d.page.workers()[0];
  if (!w) return undefined;
  const kept = await w.evaluate(() => ((globalThis as unknown as { __perchSecAggInputs?: { round: number; values: number[] }[] }).__perchSecAggInputs ?? []));
  const v = kept.find((k) => k.round === roundId)?.values;
  return v ? Uint32Array.from(v) : undefined;
}

/** The decoded sum of encoded vectors under the round's distributed discrete Gaussian. */
export function decodedSum(round: RoundDescription, inputs: Uint32Array[]): Float32Array {
  const s = round.secagg!;
  const params: DdgParams = { dim: s.ddg.dim, clip: s.ddg.clip, gamma: s.ddg.gamma, bits: s.bits, sigma: s.ddg.sigma, seed: s.ddg.rotationSeed, beta: s.ddg.beta };
  return decodeDdgSum(sumModM(inputs, s.bits), params, inputs.length);
}

/** The dense layout a round announces. */
export function layoutOfRound(round: { layout: unknown }): Layout {
  return requireLayout(round.layout);
}

/**
 * How far the published v2 − v1 is from the release of the survivors' plain sum (mean over the survivors, released
 * over the round's fixed denominator with unit weights and no central noise, frozen tensors zeroed): the largest
 * difference, how many values the expected step moves, and how many it could move (the trained tensors' size).
 */
export function stepFromSum(round: RoundDescription, inputs: Uint32Array[], v1: Record<string, Float32Array>, v2: Record<string, Float32Array>): { worst: number; moved: number; size: number } {
  const layout = layoutOfRound(round);
  // The masked vectors carry the tensors the round's recipe trains (ddg.tensors); the rest of the step is zero.
  const trained = trainedTensors(layout, round.local.frozen);
  if (round.secagg!.ddg.tensors.join() !== trained.join()) throw new Error(`ddg.tensors ${round.secagg!.ddg.tensors.join()} are not the recipe's trained tensors ${trained.join()}`);
  const mean = expandTensors(decodedSum(round, inputs), layout, trained).map((v) => v / inputs.length);
  const released = releaseMean(mean, { multiplier: 0, bound: round.clipBound, maxWeight: 1, totalWeight: inputs.length, denominator: round.targetClients, rng: cryptoRng() }).delta;
  const step = zeroFrozen(released, layout, round.local.frozen);
  let worst = 0, moved = 0;
  layout.tensors.forEach((t, ti) => {
    const a = v2[t.name]!, b = v1[t.name]!;
    for (let j = 0; j < a.length; j++) {
      const want = step[layout.offsets[ti]! + j]!;
      worst = Math.max(worst, Math.abs(a[j]! - b[j]! - want));
      if (want !== 0) moved++;
    }
  });
  return { worst, moved, size: selectedSize(layout, trained) };
}
