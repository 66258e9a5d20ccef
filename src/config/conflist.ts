import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { CURRENT_VERSION, compareVersions, parseVersion } from '../version.js';
import { NetConfListSchema, NetConfSchema, PluginConfSchema, type PluginConf } from './schemas.js';
import { rawElements, rawMembers } from './raw-json.js';

/** One plugin of a network configuration list. */
export interface PluginConfig {
  /** The plugin binary's name on the CNI path. */
  readonly type: string;
  /** The capabilities the plugin declares `true`. */
  readonly capabilities: readonly string[];
  /** The parsed object (numbers beyond 2^53 are rounded here; `bytes` keeps them). */
  readonly conf: PluginConf;
  /** The plugin object exactly as written in its file. */
  readonly bytes: string;
}

/** A network configuration list, from a `.conflist` or up-converted from a `.conf`. */
export interface NetworkConfigList {
  readonly name: string;
  /** The list's effective version ("" when the file names none, which means 0.1.0). */
  readonly cniVersion: string;
  readonly cniVersions: readonly string[] | undefined;
  readonly disableCheck: boolean;
  readonly disableGC: boolean;
  readonly loadOnlyInlinedPlugins: boolean;
  readonly plugins: readonly PluginConfig[];
  /** The original file bytes; the result cache stores them. */
  readonly bytes: Uint8Array;
  /** The file the list was read from, if any. */
  readonly file?: string | undefined;
}

export interface ParseOptions {
  /** Names the file in error messages. */
  file?: string | undefined;
}

const decoder = new TextDecoder();

function toText(bytes: Uint8Array | string): string {
  return typeof bytes === 'string' ? bytes : decoder.decode(bytes);
}

function toBytes(bytes: Uint8Array | string): Uint8Array {
  return typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
}

function where(options: ParseOptions): string {
  return options.file ? `${options.file}: ` : '';
}

function fail(message: string, options: ParseOptions, extra: Partial<ConstructorParameters<typeof ConfigError>[1]> = {}): never {
  throw new ConfigError(`${where(options)}${message}`, { file: options.file, ...extra });
}

function parseObject(text: string, options: ParseOptions): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail(`invalid JSON: ${(error as Error).message}`, options, { cause: error, cniCode: 6 });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`, options);
  }
  return value as Record<string, unknown>;
}

function check<T extends z.ZodType>(schema: T, value: unknown, options: ParseOptions, prefix = ''): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ code: issue.code, path: issue.path, message: issue.message }));
  const first = parsed.error.issues[0]!;
  const path = first.path.length > 0 ? ` at ${[prefix, ...first.path].filter((p) => p !== '').join('.')}` : prefix ? ` at ${prefix}` : '';
  fail(`${first.message}${path}`, options, { issues, cause: parsed.error });
}

/** Picks the list's version: the highest of `cniVersions` (and `cniVersion`) this library knows. */
function chooseVersion(cniVersion: string | undefined, cniVersions: readonly string[] | undefined, options: ParseOptions): string {
  if (cniVersions === undefined) return cniVersion ?? '';
  const candidates: string[] = [];
  for (const version of cniVersions) {
    try {
      parseVersion(version);
    } catch (error) {
      fail(`invalid version "${version}" in cniVersions`, options, { cause: error });
    }
    if (compareVersions(version, CURRENT_VERSION) <= 0) candidates.push(version);
  }
  if (cniVersion !== undefined && cniVersion !== '') {
    try {
      if (compareVersions(cniVersion, CURRENT_VERSION) <= 0) candidates.push(cniVersion);
    } catch (error) {
      fail(`invalid cniVersion "${cniVersion}"`, options, { cause: error });
    }
  }
  if (candidates.length === 0) return cniVersion ?? '';
  return candidates.sort(compareVersions).at(-1)!;
}

/** Parses one plugin object given as raw text. */
export function parsePluginConf(bytes: string, options: ParseOptions & { index?: number } = {}): PluginConfig {
  const prefix = options.index === undefined ? '' : `plugins.${options.index}`;
  const object = parseObject(bytes, options);
  const conf = check(PluginConfSchema, object, options, prefix);
  checkPluginType(conf.type, options, prefix);
  const capabilities = Object.entries(conf.capabilities ?? {})
    .filter(([, enabled]) => enabled)
    .map(([name]) => name);
  return { type: conf.type, capabilities, conf, bytes: bytes.trim() };
}

// A type must be one file name: no path escape out of the CNI path (also checked again at lookup).
function checkPluginType(type: string, options: ParseOptions, prefix: string): void {
  if (type === '.' || type === '..' || /[/\\\0]/.test(type)) {
    fail(`invalid plugin type "${type}"${prefix ? ` at ${prefix}` : ''}: must be a file name without / or \\`, options);
  }
}

/**
 * Parses the bytes of a `.conflist` file. A file holding a single plugin config (a `type` and no
 * `plugins`) is up-converted to a one-plugin list.
 *
 * @throws {ConfigError} `ERR_CNI_CONFIG` when the bytes are not a valid network configuration.
 */
export function parseConfList(bytes: Uint8Array | string, options: ParseOptions & { allowNoPlugins?: boolean } = {}): NetworkConfigList {
  const text = toText(bytes);
  const object = parseObject(text, options);
  if (!('plugins' in object) && typeof object['type'] === 'string' && object['type'] !== '') {
    return parseConf(bytes, options);
  }
  const list = check(NetConfListSchema, object, options);
  const loadOnlyInlinedPlugins = list.loadOnlyInlinedPlugins ?? false;
  let plugins: PluginConfig[] = [];
  if (list.plugins === undefined) {
    if (loadOnlyInlinedPlugins) fail("no 'plugins' key, and loadOnlyInlinedPlugins is true", options);
    if (!options.allowNoPlugins) fail('no plugin configs found', options);
  } else {
    if (list.plugins.length === 0) fail('no plugins in list', options);
    const pluginsText = rawMembers(text).find((member) => member.key === 'plugins')!.value;
    plugins = rawElements(pluginsText).map((element, index) => parsePluginConf(element, { ...options, index }));
  }
  return {
    name: list.name,
    cniVersion: chooseVersion(list.cniVersion, list.cniVersions, options),
    cniVersions: list.cniVersions,
    disableCheck: list.disableCheck ?? false,
    disableGC: list.disableGC ?? false,
    loadOnlyInlinedPlugins,
    plugins,
    bytes: toBytes(bytes),
    file: options.file,
  };
}

/**
 * Parses a single-plugin `.conf` / `.json` file and up-converts it to a one-plugin list named after
 * it. A file holding a list (a `plugins` key) is parsed as a list. Top-level `disableCheck` and
 * `disableGC` are honoured.
 *
 * @throws {ConfigError} `ERR_CNI_CONFIG` when the bytes are not a valid network configuration.
 */
export function parseConf(bytes: Uint8Array | string, options: ParseOptions = {}): NetworkConfigList {
  const text = toText(bytes);
  const object = parseObject(text, options);
  if ('plugins' in object) return parseConfList(bytes, options);
  const conf = check(NetConfSchema, object, options);
  const plugin = parsePluginConf(text, options);
  return {
    name: conf.name,
    cniVersion: conf.cniVersion ?? '',
    cniVersions: undefined,
    disableCheck: conf.disableCheck ?? false,
    disableGC: conf.disableGC ?? false,
    loadOnlyInlinedPlugins: false,
    plugins: [plugin],
    bytes: toBytes(bytes),
    file: options.file,
  };
}

/** Returns a copy of the list with more plugins appended (from a per-network plugin directory). */
export function withPlugins(list: NetworkConfigList, plugins: readonly PluginConfig[]): NetworkConfigList {
  return { ...list, plugins: [...list.plugins, ...plugins] };
}
