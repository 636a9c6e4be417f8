// Interaction data: structures, readers (pure: they take text), leave-one-out split, time-gap buckets.
export * from './types.js';
export { buildDataset, categoryBrandAttrs, type RawEvent, type ItemMeta } from './builder.js';
export { parseSequenceFile, parseItemAttributes } from './parse-sequences.js';
export { parseEventLog, splitCsvLine, parseTime } from './parse-events.js';
export { parseExports, looksLikeExport } from './parse-export.js';
export { leaveOneOut, prefix, type Split, type EvalCase } from './split.js';
export { gapBucket, UNKNOWN_GAP } from './gap.js';
