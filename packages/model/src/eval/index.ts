// Full-ranking evaluation: metrics, the Scorer interface and the baselines.
export { KS, rankOf, MetricAccumulator, type Metrics } from './metrics.js';
export { evaluate, isRepeat, MISS, repeatShare, type Scorer } from './evaluate.js';
export { meanInterval, tQuantile975, type Interval } from './interval.js';
export { PopScorer } from './baselines/pop.js';
export { MarkovScorer } from './baselines/markov.js';
export { ItemKnnScorer } from './baselines/itemknn.js';
export { SknnScorer } from './baselines/sknn.js';
export { popularity } from './baselines/common.js';
export { hitAt } from './metrics.js';
export { ndcgAt } from './metrics.js';
