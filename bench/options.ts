export interface BenchOptions {
  /** Fewer rounds and iterations: a smoke run whose numbers are not for judging targets. */
  quick: boolean;
  /** Which benchmarks to run (1-6). */
  only: ReadonlySet<string>;
}

/**
 * The two library configurations every benchmark of plugin runs measures: `default` is `new CNI()`
 * as it comes, `fast` the opt-in options that trade execa and some safety for speed.
 */
export type ConfigName = 'default' | 'fast';

export const CONFIG_NAMES: readonly ConfigName[] = ['default', 'fast'];

/** What each configuration is, for the table's footer and the JSON file. */
export const CONFIG_TEXT: Readonly<Record<ConfigName, string>> = {
  default: 'new CNI() defaults: defaultExecutor (execa), lock files, fsynced cache writes',
  fast: '{ executor: spawnExecutor, lockFiles: false, cacheSync: false }',
};
