// The CNI options of each measured configuration (see CONFIG_TEXT in bench/options.ts). Only the
// processes that run the library import this.

import { spawnExecutor, type CNIOptions } from '../../src/index.js';
import type { ConfigName } from '../options.js';

export function configOptions(name: ConfigName): CNIOptions {
  return name === 'fast' ? { executor: spawnExecutor, lockFiles: false, cacheSync: false } : {};
}
