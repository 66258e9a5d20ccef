export interface ConformanceOptions {
  /** The plugin binary's name on the CNI path (`bridge`, `portmap`, ...). */
  pluginType: string;
  /** Plugin directories, as a list or a `:`-separated string. */
  path: string | readonly string[];
  /**
   * The plugin's config as JSON text: a single plugin config, or a list whose plugins before the
   * first one of `pluginType` set up what it needs (a chained plugin's interface). Without it a
   * built-in config for known plugin types is used. A host-local `ipam` without `dataDir` gets one
   * in the run's temp dir.
   */
  config?: string | undefined;
  /** Where the setup chain's results are cached. @default a directory in the run's temp dir */
  cacheDir?: string | undefined;
  /** Stops the run: plugins in flight are killed, everything is cleaned up, and it rejects. */
  signal?: AbortSignal | undefined;
  /** Called with each check's name as it starts. */
  onProgress?: ((check: string) => void) | undefined;
}

/**
 * How a check ended. `known-issue` is a failure that matches a documented bug of a released
 * plugin; `skipped` means the check does not apply. Both count as ok.
 */
export type CheckStatus = 'pass' | 'fail' | 'known-issue' | 'skipped';

export interface ConformanceCheck {
  name: string;
  ok: boolean;
  status: CheckStatus;
  detail?: string;
  durationMs: number;
}

export interface ConformanceReport {
  plugin: string;
  /** True when every check is ok. */
  passed: boolean;
  checks: ConformanceCheck[];
}

/** The checks, in the order they run. */
export const CHECK_NAMES = [
  'version',
  'add',
  'check',
  'del',
  'del-twice',
  'del-without-netns',
  'del-without-prevresult',
  'error-malformed-config',
  'error-unsupported-version',
  'cni-args-ignore-unknown',
  'capability-args',
] as const;

export type CheckName = (typeof CHECK_NAMES)[number];
