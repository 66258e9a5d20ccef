import { readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { ConfigError, NetworkNotFoundError, NoConfigsFoundError, isCniError } from '../errors.js';
import { publish } from '../diagnostics.js';
import { parseConf, parseConfList, parsePluginConf, withPlugins, type NetworkConfigList, type PluginConfig } from './conflist.js';
import { validateNetworkName } from './validate.js';

/** The file name extensions of network configs, as the Go library matches them (case-sensitive). */
export const CONFIG_EXTENSIONS = ['.conf', '.conflist', '.json'] as const;

// Config files are small; anything past this is not a config and is refused before reading.
const MAX_CONFIG_BYTES = 1 << 20;

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Lists the config files of `dir` with one of `extensions`, sorted byte-wise by path.
 * Sub-directories are skipped; a directory that does not exist has no files.
 */
export async function confFiles(dir: string, extensions: readonly string[] = CONFIG_EXTENSIONS): Promise<string[]> {
  try {
    // Synchronous: one stat, and the common "no such directory" needs no thrown error.
    const info = statSync(dir, { throwIfNoEntry: false });
    if (info === undefined) return [];
    if (!info.isDirectory()) throw new ConfigError(`config path ${dir} is not a directory`, { file: dir });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    if (isCniError(error)) throw error;
    throw new ConfigError(`cannot read config directory ${dir}: ${(error as Error).message}`, { file: dir, cause: error });
  }
  // Regular files, and symlinks that cannot be followed (dangling, or a loop): those are listed so
  // that loading them reports why they are broken instead of the file silently not counting.
  const entries = await fg('*', { cwd: dir, onlyFiles: false, objectMode: true, dot: true, deep: 1, suppressErrors: true });
  return entries
    .filter((entry) => entry.dirent.isFile() || entry.dirent.isSymbolicLink())
    .map((entry) => entry.name)
    .filter((name) => extensions.includes(path.extname(name) || (name.startsWith('.') ? name : '')))
    .map((name) => path.join(dir, name))
    .sort(byteOrder);
}

// Config files are small local files, read synchronously: a directory of 1,000 of them loads in a
// few milliseconds, where a thread-pool round trip per stat and read made it take ten times as
// long (bench/README.md, benchmark 4).
function readConfigFile(file: string): Buffer {
  try {
    const info = statSync(file);
    // A FIFO or device would block the read or never end; a directory cannot be read at all.
    if (!info.isFile()) throw new ConfigError(`${file}: config is not a regular file`, { file });
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(`${file}: config file is ${info.size} bytes, more than the ${MAX_CONFIG_BYTES} allowed`, { file });
    }
    return readFileSync(file);
  } catch (error) {
    if (isCniError(error)) throw error;
    const dangling = danglingLinkMessage(file, error);
    if (dangling !== undefined) throw new ConfigError(dangling, { file, cause: error });
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, { file, cause: error });
  }
}

/**
 * Says what is wrong with a config path that `error` (from reading it) shows to be a symbolic link
 * to nothing; undefined when it is not one.
 */
export function danglingLinkMessage(file: string, error: unknown): string | undefined {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  try {
    return `${file}: symbolic link to ${readlinkSync(file)}, which does not exist`;
  } catch {
    return undefined;
  }
}

function isPlainName(name: string): boolean {
  try {
    validateNetworkName(name);
    return true;
  } catch {
    return false;
  }
}

async function pluginsFromDir(dir: string): Promise<PluginConfig[]> {
  const files = await confFiles(dir, ['.conf']);
  const plugins: PluginConfig[] = [];
  for (const file of files) {
    plugins.push(parsePluginConf(readConfigFile(file).toString('utf8'), { file }));
  }
  return plugins;
}

/**
 * Reads one config file. A `.conflist` is a list; unless it sets `loadOnlyInlinedPlugins`, plugin
 * objects from `<dir>/<network name>/*.conf` are appended to it. A `.conf` or `.json` is a single
 * plugin config up-converted to a list. The shape is recognised by content when it disagrees with
 * the extension.
 *
 * @throws {ConfigError} `ERR_CNI_CONFIG`
 */
export async function loadConfList(file: string): Promise<NetworkConfigList> {
  const bytes = readConfigFile(file);
  let list: NetworkConfigList;
  if (path.extname(file) === '.conflist') {
    list = parseConfList(bytes, { file, allowNoPlugins: true });
    // Only a plain network name maps to a per-network directory: "..", "." or "a/b" would reach
    // outside it (ADD rejects such names anyway).
    if (!list.loadOnlyInlinedPlugins && isPlainName(list.name)) {
      list = withPlugins(list, await pluginsFromDir(path.join(path.dirname(file), list.name)));
    }
    if (list.plugins.length === 0) throw new ConfigError(`${file}: no plugin configs found`, { file });
  } else {
    list = parseConf(bytes, { file });
  }
  publish('config:load', { file, name: list.name, plugins: list.plugins.length });
  return list;
}

/** A config file that could not be loaded, with the reason. */
export interface SkippedConfig {
  file: string;
  error: ConfigError;
}

async function tryLoad(file: string, skipped: SkippedConfig[]): Promise<NetworkConfigList | undefined> {
  try {
    return await loadConfList(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    skipped.push({ file, error });
    return undefined;
  }
}

export interface LoadNetworkListOptions {
  /**
   * Skip files that fail to parse and go on looking (they are named in the not-found error).
   * `false` behaves like the Go library: the first broken file fails the lookup.
   * @default true
   */
  skipInvalid?: boolean;
}

/**
 * Finds the network `name` in a config directory the way the Go library does: `.conflist` files
 * first, in byte-wise order of their paths, then `.conf` and `.json` files. The first match wins.
 *
 * @throws {NoConfigsFoundError} `ERR_CNI_NO_CONFIGS` when the directory has no config files.
 * @throws {NetworkNotFoundError} `ERR_CNI_NETWORK_NOT_FOUND` when none is named `name`.
 * @throws {ConfigError} `ERR_CNI_CONFIG` for a broken file, when `skipInvalid` is false.
 */
export async function loadNetworkList(dir: string, name: string, options: LoadNetworkListOptions = {}): Promise<NetworkConfigList> {
  const skipInvalid = options.skipInvalid ?? true;
  const skipped: SkippedConfig[] = [];
  const lists = await confFiles(dir, ['.conflist']);
  const singles = await confFiles(dir, ['.conf', '.json']);
  for (const file of [...lists, ...singles]) {
    const list = await tryLoad(file, skipped);
    if (!skipInvalid && skipped.length > 0) throw skipped[0]!.error;
    if (list?.name === name) return list;
  }
  if (lists.length === 0 && singles.length === 0) throw new NoConfigsFoundError(dir);
  const error = new NetworkNotFoundError(name, dir);
  if (skipped.length > 0) {
    error.message += ` (skipped ${skipped.length} invalid file${skipped.length === 1 ? '' : 's'}: ${skipped
      .map((entry) => entry.error.message)
      .join('; ')})`;
  }
  return Promise.reject(Object.assign(error, { skipped }));
}

/** Every network of a config directory, as a runtime sees them. */
export interface NetworkDirectory {
  /** Valid networks in byte-wise order of their files; a name appears once (its first file). */
  networks: NetworkConfigList[];
  /** Files that failed to load, and files whose network name an earlier file already used. */
  skipped: SkippedConfig[];
}

/**
 * Loads every config of a directory the way container runtimes do: `.conf`, `.conflist` and
 * `.json` interleaved in byte-wise order of their paths, broken files skipped and reported. The
 * first network is the default one.
 */
export async function loadNetworkDirectory(dir: string): Promise<NetworkDirectory> {
  const skipped: SkippedConfig[] = [];
  const networks: NetworkConfigList[] = [];
  const seen = new Map<string, string>();
  for (const file of await confFiles(dir)) {
    const list = await tryLoad(file, skipped);
    if (!list) continue;
    const first = seen.get(list.name);
    if (first !== undefined) {
      const message = `${file}: network "${list.name}" is already defined by ${first}; this file is ignored`;
      skipped.push({ file, error: new ConfigError(message, { file, network: list.name }) });
      continue;
    }
    seen.set(list.name, file);
    networks.push(list);
  }
  return { networks, skipped };
}
