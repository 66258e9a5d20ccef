import type { CNIOptions } from '../src/index.js';

export interface BenchOptions {
  /** Fewer rounds and iterations: a smoke run whose numbers are not for judging targets. */
  quick: boolean;
  /** Which benchmarks to run (1-6). */
  only: ReadonlySet<string>;
  /** Options that trade safety for speed, measured as extra rows when the library has them. */
  fastOptions: Partial<CNIOptions> | undefined;
}
