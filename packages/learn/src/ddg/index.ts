/**
 * Distributed discrete Gaussian for secure aggregation (Kairouz, Liu, Steinke 2021), with the exact discrete
 * Gaussian sampler of Canonne, Kamath, Steinke 2020: the device's encoding, the server's decoding of the modular
 * sum and the norm bound an honest sum stays under, and the accounting of the honest devices' summed noise. Pure
 * and isomorphic (no DOM, no Node globals).
 * Design, parameters and limits: README.md beside this file.
 */
export { decodeDdgSum, encodeDdg, type DdgEncoded, type DdgParams } from './client.js';
export {
  calibrateDdgSigma, ddgEpsilon, ddgRdp, treeDdgEpsilon, treeLevels, ddgSensitivity, ddgTau, gaussianSumEpsilon, honestCohort, rdpCurveToEpsilon,
  sumDgRdpCurve, zcdpEpsilon, type CalibrationTarget, type DdgAccountingParams, type DdgEpsilon, type SumDgParams,
} from './accountant.js';
export {
  bitsFromRng, cryptoBits, DiscreteGaussianSampler, discreteGaussianPmf, discreteGaussianVariance, sampleDiscreteGaussian,
  sampleDiscreteLaplace, sigma2Rational, uniformInt, type RandomBits, type Rational,
} from './discrete-gaussian.js';
export {
  addModM, fromZmCentred, gammaForBits, pack, packedLength, stddevsForWrapProbability, sumModM, sumVarianceProxy, toZm, unpack,
  wrapProbabilityBound, type WrapParams,
} from './modular.js';
export { DDG_BETA, ddgScaleFixedPoint, gammaForSigma, WRAP_PROBABILITY, type GridParams } from './scale.js';
export { blockHadamard, rotate, rotationLayout, unrotate, type RotationLayout } from './rotation.js';
export { conditionalRound, roundedNormBound, scaleAndRound, type RoundingResult } from './rounding.js';
export { centredNorm, checkDdgSum, SUM_BOUND_FAILURE, sumNormBound, sumNormBoundParts, type SumBoundParams } from './sum-bound.js';
