import path from 'node:path';
import { parseConfList } from '../config/conflist.js';
import type { NetworkConfigList } from '../config/conflist.js';
import { defaultSetup, type PluginSetup } from './known-plugins.js';

const DEFAULT_NAME = 'conformance';
const DEFAULT_VERSION = '1.0.0';

export interface ResolvedConfig {
  /** The setup chain plus the plugin under test, last. */
  list: NetworkConfigList;
  baseList: NetworkConfigList | undefined;
  ifName: string;
  /** Whether the built-in config is used (it needs the harness's master link). */
  builtIn: boolean;
}

type PluginObject = Record<string, unknown>;

function isObject(value: unknown): value is PluginObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// host-local keeps its leases in /var/lib/cni/networks unless told otherwise; keep them in the run.
function withDataDir(plugin: PluginObject, dataDir: string): PluginObject {
  const ipam = plugin['ipam'];
  if (!isObject(ipam) || ipam['type'] !== 'host-local' || 'dataDir' in ipam) return plugin;
  return { ...plugin, ipam: { ...ipam, dataDir } };
}

function fromText(pluginType: string, text: string): { setup: PluginSetup; name: string; cniVersion: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`the config is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isObject(value)) throw new Error('the config is not a JSON object');
  const name = typeof value['name'] === 'string' ? value['name'] : DEFAULT_NAME;
  const cniVersion = typeof value['cniVersion'] === 'string' && value['cniVersion'] !== '' ? value['cniVersion'] : DEFAULT_VERSION;
  if (Array.isArray(value['plugins'])) {
    const plugins = value['plugins'] as unknown[];
    const index = plugins.findIndex((plugin) => isObject(plugin) && plugin['type'] === pluginType);
    if (index < 0) throw new Error(`the config list has no plugin of type "${pluginType}"`);
    if (!plugins.slice(0, index).every(isObject)) throw new Error('the config list has plugins that are not objects');
    return { setup: { base: plugins.slice(0, index) as PluginObject[], target: plugins[index] as PluginObject }, name, cniVersion };
  }
  if (value['type'] !== undefined && value['type'] !== pluginType) {
    throw new Error(`the config is for plugin type ${JSON.stringify(value['type'])}, not "${pluginType}"`);
  }
  const { name: _name, cniVersion: _version, ...rest } = value;
  return { setup: { base: [], target: { ...rest, type: pluginType } }, name, cniVersion };
}

/** The config a run uses: the caller's text, or the built-in one for the plugin type. */
export function resolveConfig(pluginType: string, text: string | undefined, dataDir: string): ResolvedConfig {
  const given = text === undefined ? undefined : fromText(pluginType, text);
  const setup = given?.setup ?? defaultSetup(pluginType);
  const name = given?.name ?? DEFAULT_NAME;
  const cniVersion = given?.cniVersion ?? DEFAULT_VERSION;
  const base = setup.base.map((plugin) => withDataDir(plugin, path.join(dataDir, 'ipam')));
  const target = withDataDir(setup.target, path.join(dataDir, 'ipam'));
  const list = parseConfList(JSON.stringify({ cniVersion, name, plugins: [...base, target] }));
  const baseList = base.length > 0 ? parseConfList(JSON.stringify({ cniVersion, name, plugins: base })) : undefined;
  const ifName = setup.ifName ?? (pluginType === 'loopback' ? 'lo' : 'eth0');
  return { list, baseList, ifName, builtIn: given === undefined };
}
