/**
 * Entry of `dist/perch-secagg.js`: the federated client's side of secure-aggregation rounds (the distributed
 * discrete Gaussian encoding and the SecAgg+ state machine with its crypto and Shamir sharing;
 * worker/learn/secagg-round.ts), loaded with `importScripts` by the worker only when it takes part in such a round;
 * as an IIFE named `perchSecagg` it leaves these exports on the worker's global scope.
 */
export { runSecAggRound } from '../worker/learn/secagg-round.js';
