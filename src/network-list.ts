import { formatCniArgs } from './args.js';
import { requiredPlugins, type NetworkConfigList, type PluginConfig } from './config/conflist.js';
import { spliceMembers } from './config/raw-json.js';
import { AbortError, MultipleErrors, ResultError, describePlugin, isCniError } from './errors.js';
import type { PluginExecutor } from './invoke/exec-plugin.js';
import { findPlugin } from './invoke/find-plugin.js';
import { buildPluginEnv, type CniCommand, type EnvOptions } from './invoke/plugin-env.js';
import { runPlugin } from './invoke/run-plugin.js';
import { convertResult } from './result/convert.js';
import { parseResult } from './result/parse.js';
import type { Result } from './result/schemas.js';
import { effectiveVersion } from './version.js';

/** Everything a chain run needs besides the list and the attachment. */
export interface ChainContext extends EnvOptions {
  paths: readonly string[];
  executor: PluginExecutor;
  pluginTimeout: number;
  killGrace: number;
  maxOutputBytes: number;
  signal: AbortSignal | undefined;
  onStderr?: ((stderr: string, context: { network?: string | undefined; plugin?: string | undefined; command?: string | undefined }) => void) | undefined;
}

/** The attachment a chain runs for, with `CNI_ARGS` already checked. */
export interface Attachment {
  containerId: string;
  netns: string;
  ifName: string;
  args: [string, string][];
  capabilityArgs: Record<string, unknown>;
}

export interface StdinInjection {
  prevResult?: Result | undefined;
  capabilityArgs?: Readonly<Record<string, unknown>> | undefined;
  /** More keys for GC and STATUS (`cni.dev/valid-attachments`, ...). */
  extra?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Builds the stdin of one plugin: its config exactly as written, with `name` and `cniVersion` set
 * to the list's, `runtimeConfig` holding the capability args the plugin declares `true` (only when
 * at least one applies; then it replaces any `runtimeConfig` in the file), and `prevResult`.
 */
export function buildPluginStdin(list: NetworkConfigList, plugin: PluginConfig, inject: StdinInjection = {}): string {
  const updates = new Map<string, string | undefined>([
    ['name', JSON.stringify(list.name)],
    ['cniVersion', JSON.stringify(list.cniVersion)],
  ]);
  // Own keys only: a capability named like an Object.prototype member ("constructor") is not given.
  const args = inject.capabilityArgs ?? {};
  const runtimeConfig = plugin.capabilities
    .filter((capability) => Object.hasOwn(args, capability) && args[capability] !== undefined)
    .map((capability) => [capability, args[capability]] as const);
  if (runtimeConfig.length > 0) updates.set('runtimeConfig', JSON.stringify(Object.fromEntries(runtimeConfig)));
  if (inject.prevResult) updates.set('prevResult', JSON.stringify(inject.prevResult));
  for (const [key, value] of Object.entries(inject.extra ?? {})) updates.set(key, JSON.stringify(value));
  return spliceMembers(plugin.bytes, updates);
}

/** Finds every plugin of the list before any runs, so a missing binary fails before side effects. */
export async function findPlugins(list: NetworkConfigList, paths: readonly string[]): Promise<string[]> {
  // Looked up at once rather than one after another; the first failure in list order is reported.
  const lookups = await Promise.allSettled(list.plugins.map((plugin) => findPlugin(plugin.type, paths)));
  const failed = lookups.find((lookup) => lookup.status === 'rejected');
  if (failed) {
    const error: unknown = failed.reason;
    if (isCniError(error)) error.network = list.name;
    throw error;
  }
  return lookups.map((lookup) => (lookup as PromiseFulfilledResult<string>).value);
}

/**
 * Checks that the IPAM plugin each plugin delegates to (`ipam.type`) is on the CNI path too, so
 * that ADD does not set up half a network and then fail in the delegation.
 */
export async function checkIpamPlugins(list: NetworkConfigList, paths: readonly string[]): Promise<void> {
  for (const { type, ipamOf } of requiredPlugins(list)) {
    if (ipamOf === undefined) continue;
    try {
      await findPlugin(type, paths);
    } catch (error) {
      if (isCniError(error)) {
        error.network = list.name;
        error.message += ` (the IPAM plugin of ${ipamOf})`;
      }
      throw error;
    }
  }
}

interface InvokeInput {
  list: NetworkConfigList;
  plugin: PluginConfig;
  file: string;
  command: CniCommand;
  attachment: Pick<Attachment, 'containerId' | 'netns' | 'ifName' | 'args'> | undefined;
  stdin: string;
  /** The environment from `chainEnv`, when the caller built it once for the whole chain. */
  env?: Record<string, string> | undefined;
}

/**
 * The environment of every plugin of one chain run (all get the same): built once per run, as
 * copying `process.env` costs more than anything else the library does per plugin.
 */
export function chainEnv(context: ChainContext, command: CniCommand, attachment: InvokeInput['attachment']): Record<string, string> {
  return buildPluginEnv(
    {
      command,
      containerId: attachment?.containerId,
      netns: attachment?.netns,
      ifName: attachment?.ifName,
      args: attachment ? formatCniArgs(attachment.args) : '',
      path: context.paths.join(':'),
    },
    context,
  );
}

export async function invokeInChain(context: ChainContext, input: InvokeInput): Promise<unknown> {
  const env = input.env ?? chainEnv(context, input.command, input.attachment);
  return runPlugin({
    file: input.file,
    stdin: input.stdin,
    env,
    command: input.command,
    context: { network: input.list.name, plugin: input.plugin.type },
    executor: context.executor,
    timeout: context.pluginTimeout,
    killGrace: context.killGrace,
    maxOutput: context.maxOutputBytes,
    signal: context.signal,
    onStderr: context.onStderr,
  });
}

function resultError(error: unknown, list: NetworkConfigList, plugin: PluginConfig): never {
  if (isCniError(error)) {
    error.network = list.name;
    error.plugin = plugin.type;
    error.command = 'ADD';
    error.message = `${describePlugin(error)}: ${error.message}`;
  }
  throw error;
}

// Stops a chain between plugins with our typed error, so that a failed ADD is still rolled back.
function throwIfAborted(context: ChainContext, list: NetworkConfigList): void {
  if (context.signal?.aborted) throw new AbortError('operation aborted', { cause: context.signal.reason, network: list.name });
}

/**
 * Runs ADD through the list in order, each plugin getting the previous plugin's result (converted
 * to the list's version) as `prevResult`. Returns the last result in the list's version.
 */
export async function addChain(context: ChainContext, list: NetworkConfigList, files: readonly string[], attachment: Attachment): Promise<Result> {
  const version = effectiveVersion(list.cniVersion);
  let prevResult: Result | undefined;
  const env = chainEnv(context, 'ADD', attachment);
  for (const [index, plugin] of list.plugins.entries()) {
    throwIfAborted(context, list);
    const stdin = buildPluginStdin(list, plugin, { prevResult, capabilityArgs: attachment.capabilityArgs });
    const output = await invokeInChain(context, { list, plugin, file: files[index]!, command: 'ADD', attachment, stdin, env });
    try {
      prevResult = convertResult(parseResult(output, list.cniVersion), version);
    } catch (error) {
      resultError(error, list, plugin);
    }
  }
  if (!prevResult) throw new ResultError(`network "${list.name}" has no plugins`, { network: list.name });
  return prevResult;
}

/** Runs CHECK through the list in order; every plugin gets the same cached result. */
export async function checkChain(
  context: ChainContext,
  list: NetworkConfigList,
  files: readonly string[],
  attachment: Attachment,
  prevResult: Result | undefined,
): Promise<void> {
  const env = chainEnv(context, 'CHECK', attachment);
  for (const [index, plugin] of list.plugins.entries()) {
    throwIfAborted(context, list);
    const stdin = buildPluginStdin(list, plugin, { prevResult, capabilityArgs: attachment.capabilityArgs });
    await invokeInChain(context, { list, plugin, file: files[index]!, command: 'CHECK', attachment, stdin, env });
  }
}

/**
 * Runs DEL through the list in reverse. It goes on past a failing or missing plugin so that the
 * others still release what they hold, then reports every failure.
 */
export async function delChain(context: ChainContext, list: NetworkConfigList, attachment: Attachment, prevResult: Result | undefined): Promise<void> {
  const errors: Error[] = [];
  const plugins = [...list.plugins].reverse();
  // All lookups start together; each plugin still fails (or not) on its own.
  const files = plugins.map((plugin) => findPlugin(plugin.type, context.paths));
  for (const file of files) file.catch(() => {});
  const env = chainEnv(context, 'DEL', attachment);
  for (const [index, plugin] of plugins.entries()) {
    if (context.signal?.aborted) {
      errors.push(context.signal.reason instanceof Error ? context.signal.reason : new Error(String(context.signal.reason)));
      break;
    }
    try {
      const file = await files[index]!;
      const stdin = buildPluginStdin(list, plugin, { prevResult, capabilityArgs: attachment.capabilityArgs });
      await invokeInChain(context, { list, plugin, file, command: 'DEL', attachment, stdin, env });
    } catch (error) {
      if (isCniError(error)) {
        error.network ??= list.name;
        error.command ??= 'DEL';
      }
      errors.push(error as Error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new MultipleErrors(`DEL of network "${list.name}" failed in ${errors.length} plugins`, errors, { network: list.name, command: 'DEL' });
}

/** An attachment the runtime still uses, as GC names it on the plugin's stdin. */
export interface ValidAttachment {
  containerId: string;
  ifName: string;
}

/**
 * Sends GC to each plugin in order (those `supports11` accepts), with `cni.dev/valid-attachments`
 * (and the same array under `cni.dev/attachments`, the key of older spec drafts) when the runtime
 * knows which attachments are valid. Goes on past failures and reports them all.
 */
export async function gcChain(
  context: ChainContext,
  list: NetworkConfigList,
  validAttachments: readonly ValidAttachment[] | undefined,
  supports11: (plugin: PluginConfig, file: string) => Promise<boolean>,
): Promise<Error[]> {
  const errors: Error[] = [];
  const extra =
    validAttachments === undefined
      ? undefined
      : (() => {
          const entries = validAttachments.map((entry) => ({ containerID: entry.containerId, ifname: entry.ifName }));
          return { 'cni.dev/valid-attachments': entries, 'cni.dev/attachments': entries };
        })();
  for (const plugin of list.plugins) {
    try {
      const file = await findPlugin(plugin.type, context.paths);
      if (!(await supports11(plugin, file))) continue;
      const stdin = buildPluginStdin(list, plugin, { extra });
      await invokeInChain(context, { list, plugin, file, command: 'GC', attachment: undefined, stdin });
    } catch (error) {
      if (isCniError(error)) error.network ??= list.name;
      errors.push(error as Error);
    }
  }
  return errors;
}

/** Sends STATUS to each plugin in order (those `supports11` accepts); the first error stops it. */
export async function statusChain(
  context: ChainContext,
  list: NetworkConfigList,
  supports11: (plugin: PluginConfig, file: string) => Promise<boolean>,
): Promise<void> {
  for (const plugin of list.plugins) {
    const file = await findPlugin(plugin.type, context.paths);
    if (!(await supports11(plugin, file))) continue;
    const stdin = buildPluginStdin(list, plugin);
    await invokeInChain(context, { list, plugin, file, command: 'STATUS', attachment: undefined, stdin });
  }
}
