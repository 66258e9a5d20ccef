// status, gc and validate: commands about one network of the config directory.
import { loadNetworkList } from '../config/load.js';
import { requiredPlugins, type NetworkConfigList } from '../config/conflist.js';
import { MultipleErrors, isCniError } from '../errors.js';
import { findPlugin } from '../invoke/find-plugin.js';
import { effectiveVersion } from '../version.js';
import { confDir, createCni, expectArgs, type Cli } from './context.js';
import { errorToJson, type ErrorJson } from './errors.js';

export async function statusCommand(cli: Cli): Promise<void> {
  const [network] = expectArgs(cli, 'status', 1) as [string];
  const cni = createCni(cli);
  const list = await loadNetworkList(confDir(cli), network);
  await cni.getStatusNetworkList(list, cli.call);
  cli.output.print(undefined, { network: list.name, ready: true });
}

/**
 * As the Go tool does: every cached attachment of the network is stale and gets DEL (with its
 * cached netns and arguments), then GC goes to the plugins without a list of valid attachments.
 */
export async function gcCommand(cli: Cli): Promise<void> {
  const [network] = expectArgs(cli, 'gc', 1) as [string];
  const cni = createCni(cli);
  const list = await loadNetworkList(confDir(cli), network);
  const { output } = cli;
  const errors: Error[] = [];
  const deleted: { containerId: string; ifName: string; netns: string | null }[] = [];

  const all = await cni.getCachedAttachments(undefined, cli.call);
  const cached = all.filter((entry) => entry.networkName === list.name);
  try {
    for (const [index, entry] of cached.entries()) {
      output.progress(`gc ${list.name}: DEL ${index + 1}/${cached.length} ${entry.containerId} ${entry.ifName}`);
      const rt = { containerId: entry.containerId, ifName: entry.ifName, netns: entry.netns };
      try {
        await cni.delNetworkList(list, rt, cli.call);
        deleted.push({ ...rt, netns: rt.netns ?? null });
      } catch (error) {
        errors.push(error as Error);
        if (cli.call.signal?.aborted) break;
      }
    }
    output.progress(`gc ${list.name}: GC`);
    if (!cli.call.signal?.aborted) {
      await cni.gcNetworkList(list, {}, cli.call).catch((error: Error) => errors.push(error));
    }
  } finally {
    output.progressDone();
  }

  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new MultipleErrors(`gc of network "${list.name}" failed`, errors, { network: list.name, command: 'GC' });
  }
  output.print(undefined, { network: list.name, deleted });
}

interface PluginReport {
  type: string;
  /** Set on an IPAM plugin: the plugin that delegates to it. */
  ipamOf?: string;
  path: string | null;
  ok: boolean;
  error?: ErrorJson;
}

// Which plugin each error is about: the library's errors name it; anything else goes to all.
function pluginReports(list: NetworkConfigList, paths: (string | null)[], failure: unknown): PluginReport[] {
  const errors = failure === undefined ? [] : failure instanceof MultipleErrors ? [...failure.errors] : [failure];
  return requiredPlugins(list).map((entry, index) => {
    const about = (error: unknown) => !isCniError(error) || error.plugin === undefined || error.plugin === entry.type;
    const mine = errors.find(about);
    const report: PluginReport = { type: entry.type, ...(entry.ipamOf ? { ipamOf: entry.ipamOf } : {}), path: paths[index] ?? null, ok: mine === undefined };
    if (mine !== undefined) report.error = errorToJson(mine);
    return report;
  });
}

/** Loads a network and checks that its plugins are installed and support its version. */
export async function validateCommand(cli: Cli): Promise<void> {
  const [network] = expectArgs(cli, 'validate', 1, 1) as [string];
  const cni = createCni(cli);
  const list = await loadNetworkList(confDir(cli), network);
  const paths = await Promise.all(requiredPlugins(list).map((entry) => findPlugin(entry.type, cni.path).catch(() => null)));

  let capabilities: string[] = [];
  let failure: unknown;
  try {
    capabilities = await cni.validateNetworkList(list, cli.call);
  } catch (error) {
    failure = error;
  }
  const plugins = pluginReports(list, paths, failure);
  const version = effectiveVersion(list.cniVersion);
  const lines = [
    `network ${list.name} (cniVersion ${version}) from ${list.file ?? '?'}: ${failure ? 'NOT valid' : 'valid'}`,
    ...plugins.map((plugin) => {
      const why = plugin.error ? `: ${plugin.error.message}` : '';
      const type = plugin.ipamOf ? `${plugin.type} (IPAM of ${plugin.ipamOf})` : plugin.type;
      return `  ${plugin.ok ? 'ok  ' : 'FAIL'}  ${type}  ${plugin.path ?? 'not found'}${why}`;
    }),
  ];
  if (capabilities.length > 0) lines.push(`  capabilities: ${capabilities.join(', ')}`);
  cli.output.print(lines.join('\n'), {
    network: list.name,
    file: list.file ?? null,
    cniVersion: version,
    valid: failure === undefined,
    capabilities,
    plugins,
  });
  if (failure !== undefined) throw failure;
}
