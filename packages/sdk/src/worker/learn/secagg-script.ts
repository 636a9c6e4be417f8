/**
 * How the federated client reaches its secure-aggregation side: `perch-secagg.js` (built from
 * `entries/secagg.ts`) beside `perch-worker.js`, run with `importScripts` on the first round the device takes
 * part in with secure aggregation (the pattern of the model and trust scripts). Nothing is loaded otherwise.
 */
import { scriptBeside } from '../serve/trust/trust-script.js';
import type { runSecAggRound } from './secagg-round.js';

/** The exports of `perch-secagg.js`. */
export interface SecAggScript { runSecAggRound: typeof runSecAggRound }

export const loadSecAgg = (): SecAggScript => scriptBeside<SecAggScript>('perch-secagg.js', 'perchSecagg');
