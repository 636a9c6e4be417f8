export * as privacy from './privacy/index.ts';
export * as federated from './federated/index.ts';
export * as tfjs from './tfjs/index.ts';
export * as modelExport from './export/index.ts';
export * as backend from './backend/index.ts';
export * as plain from './plain/index.ts';
export * as data from './data/index.ts';
export * as evaluation from './eval/index.ts';
