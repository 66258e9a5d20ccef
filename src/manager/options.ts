import path from 'node:path';
import type { CNI } from '../cni.js';
import { InvalidArgumentError } from '../errors.js';
import { splitPath } from '../invoke/find-plugin.js';
import type { UnusablePolicy } from './scan.js';

export interface NetworkManagerOptions {
  /** The directory of network configs (`/etc/cni/net.d`). It may not exist yet. */
  confDir: string;
  /** Plugin directories, as a list or a `:`-separated string. @default the `cni` option's path */
  path?: string | readonly string[] | undefined;
  /** The facade that runs VERSION probes. @default a private `new CNI({ path })` */
  cni?: CNI | undefined;
  /** Use the network of this name as the default instead of the first file's. */
  defaultNetwork?: string | undefined;
  /**
   * What a config file whose plugins are missing or do not speak its version does to the default:
   * `skip` passes it over and the next usable file can be the default (CRI-O); `wait` keeps the
   * first parseable file as the default and reports not ready until its plugins can run it.
   * @default 'skip'
   */
  onUnusable?: UnusablePolicy | undefined;
  /** Milliseconds of quiet after a change before the directory is read again. @default 150 */
  debounce?: number | undefined;
  /**
   * Milliseconds after its last change during which a file that does not parse is taken to be
   * still being written: it is neither reported nor chosen, and its last good content stays.
   * @default 1000
   */
  settle?: number | undefined;
  /** Milliseconds between full rescans that catch what watching missed; 0 turns them off. @default 5000 */
  rescanInterval?: number | undefined;
  /** Milliseconds a VERSION probe may take. @default 5000 */
  probeTimeout?: number | undefined;
  /** Keep the process alive while watching, as `fs.watch` does. @default true */
  persistent?: boolean | undefined;
}

export interface ResolvedOptions {
  confDir: string;
  path: readonly string[];
  defaultNetwork: string | undefined;
  onUnusable: UnusablePolicy;
  debounce: number;
  settle: number;
  rescanInterval: number;
  probeTimeout: number;
  persistent: boolean;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`Expected \`${name}\` to be a number >= 0, got ${String(value)}`);
  return value;
}

/** Checks the options and fills in the defaults. */
export function resolveOptions(options: NetworkManagerOptions): ResolvedOptions {
  if (typeof options?.confDir !== 'string' || options.confDir === '') {
    throw new InvalidArgumentError(`Expected \`confDir\` to be a directory path, got ${String(options?.confDir)}`);
  }
  const onUnusable = options.onUnusable ?? 'skip';
  if (onUnusable !== 'skip' && onUnusable !== 'wait') {
    throw new InvalidArgumentError(`Expected \`onUnusable\` to be 'skip' or 'wait', got ${String(onUnusable)}`);
  }
  return {
    confDir: path.resolve(options.confDir),
    path: options.path === undefined ? (options.cni?.path ?? []) : splitPath(options.path),
    defaultNetwork: options.defaultNetwork,
    onUnusable,
    debounce: nonNegative('debounce', options.debounce, 150),
    settle: nonNegative('settle', options.settle, 1000),
    rescanInterval: nonNegative('rescanInterval', options.rescanInterval, 5000),
    probeTimeout: nonNegative('probeTimeout', options.probeTimeout, 5000) || 5000,
    persistent: options.persistent ?? true,
  };
}
