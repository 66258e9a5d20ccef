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

// Strict: invalid UTF-8 is an error (not silently replaced), and a BOM is kept so it can be named.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function toText(bytes: Uint8Array | string, options: ParseOptions): string {
  if (typeof bytes === 'string') return bytes;
  try {
    return decoder.decode(bytes);
  } catch (error) {
    fail('config is not valid UTF-8', options, { cause: error, cniCode: 6 });
  }
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

// The Go library's JSON decoder refuses nesting deeper than this; so do we, with a clear message.
const MAX_NESTING = 10_000;

/** How deeply arrays and objects nest in JSON text (brackets inside strings do not count). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (char === '{' || char === '[') {
      deepest = Math.max(deepest, ++depth);
    } else if (char === '}' || char === ']') {
      depth--;
    }
  }
  return deepest;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(text: string, options: ParseOptions, at = ''): Record<string, unknown> {
  const suffix = at ? ` at ${at}` : '';
  if (text.startsWith('\uFEFF')) fail('config starts with a byte order mark (BOM), which JSON does not allow; save it as UTF-8 without BOM', options, { cniCode: 6 });
  if (text.trim() === '') fail('config is empty', options, { cniCode: 6 });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail(`invalid JSON: ${(error as Error).message}`, options, { cause: error, cniCode: 6 });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`expected a JSON object${suffix}, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`, options);
  }
  if (nestingDepth(text) > MAX_NESTING) fail(`config nests arrays and objects more than ${MAX_NESTING} levels deep`, options, { cniCode: 6 });
  return value as Record<string, unknown>;
}

// The list's own version must at least be well-formed; an unknown but valid one is refused later.
function checkVersion(cniVersion: string | undefined, options: ParseOptions): void {
  if (cniVersion === undefined || cniVersion === '') return;
  try {
    parseVersion(cniVersion);
  } catch (error) {
    fail(`invalid cniVersion ${JSON.stringify(cniVersion)}: expected up to three dot-separated integers`, options, { cause: error });
  }
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
export function parsePluginConf(bytes: string, options: ParseOptions & { index?: number; parsed?: unknown } = {}): PluginConfig {
  const prefix = options.index === undefined ? '' : `plugins.${options.index}`;
  // Inside a list the element was parsed (and checked) with the list already.
  const object = isObject(options.parsed) ? options.parsed : parseObject(bytes, options, prefix);
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
    fail(`invalid plugin type ${JSON.stringify(type)}${prefix ? ` at ${prefix}` : ''}: must be a file name without / or \\`, options);
  }
}

/**
 * Parses the bytes of a `.conflist` file. A file holding a single plugin config (a `type` and no
 * `plugins`) is up-converted to a one-plugin list.
 *
 * @throws {ConfigError} `ERR_CNI_CONFIG` when the bytes are not a valid network configuration.
 */
export function parseConfList(bytes: Uint8Array | string, options: ParseOptions & { allowNoPlugins?: boolean } = {}): NetworkConfigList {
  const text = toText(bytes, options);
  const object = parseObject(text, options);
  if (!('plugins' in object) && typeof object['type'] === 'string' && object['type'] !== '') {
    return parseConf(bytes, options);
  }
  const list = check(NetConfListSchema, object, options);
  checkVersion(list.cniVersion, options);
  const loadOnlyInlinedPlugins = list.loadOnlyInlinedPlugins ?? false;
  let plugins: PluginConfig[] = [];
  if (list.plugins === undefined) {
    if (loadOnlyInlinedPlugins) fail("no 'plugins' key, and loadOnlyInlinedPlugins is true", options);
    if (!options.allowNoPlugins) fail('no plugin configs found', options);
  } else {
    if (list.plugins.length === 0) fail('no plugins in list', options);
    const pluginsText = rawMembers(text).find((member) => member.key === 'plugins')!.value;
    plugins = rawElements(pluginsText).map((element, index) => parsePluginConf(element, { ...options, index, parsed: list.plugins![index] }));
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
  const text = toText(bytes, options);
  const object = parseObject(text, options);
  if ('plugins' in object) return parseConfList(bytes, options);
  const conf = check(NetConfSchema, object, options);
  checkVersion(conf.cniVersion, options);
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

/** A plugin binary a list needs; `ipamOf` names the plugin that delegates to it as its IPAM. */
export interface RequiredPlugin {
  type: string;
  ipamOf?: string;
}

/** Every plugin binary a list needs, in order: each plugin, then the IPAM plugin it delegates to. */
export function requiredPlugins(list: NetworkConfigList): RequiredPlugin[] {
  return list.plugins.flatMap((plugin) => {
    const ipam = plugin.conf.ipam?.type;
    return ipam ? [{ type: plugin.type }, { type: ipam, ipamOf: plugin.type }] : [{ type: plugin.type }];
  });
}

/** Returns a copy of the list with more plugins appended (from a per-network plugin directory). */
export function withPlugins(list: NetworkConfigList, plugins: readonly PluginConfig[]): NetworkConfigList {
  return { ...list, plugins: [...list.plugins, ...plugins] };
}
