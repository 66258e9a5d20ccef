import type { CniArgs } from './args.js';
import { InvalidArgumentError } from './errors.js';
import type { PluginExecutor } from './invoke/exec-plugin.js';
import type { EnvOptions } from './invoke/plugin-env.js';
import type { ChainContext } from './network-list.js';

/** What the runtime knows about one attachment of a container to a network. */
export interface RuntimeConf {
  containerId: string;
  /** Path of the container's network namespace; may be empty for DEL. */
  netns?: string | undefined;
  ifName: string;
  /** `CNI_ARGS`, as ordered pairs or an object. */
  args?: CniArgs | undefined;
  /** Capability arguments (`portMappings`, `bandwidth`, ...), given to plugins that declare them. */
  capabilityArgs?: Readonly<Record<string, unknown>> | undefined;
}

/** Options every public async call takes. */
export interface CallOptions {
  /** Cancels the call: running plugins get SIGTERM, then SIGKILL. */
  signal?: AbortSignal | undefined;
  /** Milliseconds for the whole call, on top of the per-plugin timeout. */
  timeout?: number | undefined;
}

export interface CNIOptions extends EnvOptions {
  /**
   * Directories to search for plugins, in order, as a list or a `:`-separated string. Also passed
   * to plugins as `CNI_PATH`.
   */
  path?: string | readonly string[] | undefined;
  /** @default '/var/lib/cni' */
  cacheDir?: string | undefined;
  /** Milliseconds one plugin run may take before its process group gets SIGTERM. @default 60000 */
  pluginTimeout?: number | undefined;
  /** Milliseconds between SIGTERM and SIGKILL. @default 2000 */
  killGrace?: number | undefined;
  /** Bytes of stdout or stderr past which a plugin is killed. @default 4194304 */
  maxOutputBytes?: number | undefined;
  /** How many plugin chains run at once. @default 16 */
  concurrency?: number | undefined;
  /** Run DEL for the whole list when ADD fails part way. @default true */
  rollbackOnFailure?: boolean | undefined;
  /**
   * Milliseconds the rollback DEL after a failed ADD may take, counted afresh (the call waits for
   * it, so a plugin that hangs on ADD and on DEL makes a failed ADD return after about this long).
   * @default 10000
   */
  cleanupTimeout?: number | undefined;
  /** Replaces how plugins are run (tests, sandboxes). */
  executor?: PluginExecutor | undefined;
  /** Receives each plugin's stderr, successful run or not. */
  onStderr?: ChainContext['onStderr'];
  /**
   * Take the lock files under `<cacheDir>/locks` that keep ADD, CHECK, DEL and GC of other
   * processes off the same attachment and network. Turn off only when this process is the only
   * one that uses `cacheDir`: the same rules then hold inside this process only. @default true
   */
  lockFiles?: boolean | undefined;
  /**
   * fsync each cache file and its directory, so that a cached ADD result survives a power loss.
   * Off, writes are still atomic (a temp file renamed into place). @default true
   */
  cacheSync?: boolean | undefined;
}

export const DEFAULTS = {
  pluginTimeout: 60_000,
  killGrace: 2_000,
  maxOutputBytes: 4 * 1024 * 1024,
  concurrency: 16,
  cleanupTimeout: 10_000,
};

export function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`Expected \`${name}\` to be a positive number, got ${String(value)}`);
  }
  return value;
}
