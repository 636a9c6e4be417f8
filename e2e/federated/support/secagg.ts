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
