/** The evaluation corpus and its scoring, for the eval script, the benchmark and the tests. */
export { DEFAULT_SEED, generateCorpus, type CorpusOptions, type GoldSpan, type HardNegative, type Sample, type Style } from './corpus.js';
export { evaluate, formatTable, type Evaluation, type TypeScore } from './metrics.js';
export { Prng } from './values.js';
