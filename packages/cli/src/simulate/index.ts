// The federated-learning simulation behind `perch simulate` (@perch/cli/simulate).
export { runSimulate } from './command.js';
export { simulate, type SimOptions, type SimResult, type RunResult } from './simulate.js';
export { runFederated, type FederatedOptions, type RoundLog, type NoiseMode } from './federated.js';
export { SimServer, type ServerOptions } from './server.js';
export { trainCentral, type CentralOptions } from './central.js';
export { makePopulation, type Population } from './population.js';
export { epsilonAfter, noiseForBudget, medianUpdateNorm } from './privacy.js';
export { planDdg, accountingOf, autoMinCohort, autoUploads, type DdgPlan, type DdgSettings } from './ddg.js';
export { secaggSum, type SecAggRun } from './secagg.js';
