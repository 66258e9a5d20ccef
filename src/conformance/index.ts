export { runConformance } from './run.js';
export { formatConformanceReport } from './format.js';
export type { CheckStatus, ConformanceCheck, ConformanceOptions, ConformanceReport } from './types.js';
