import { PluginReportedError, VersionError } from '../errors.js';
import { VersionInfoSchema } from '../result/schemas.js';
import { CURRENT_VERSION } from '../version.js';
import type { ChainContext } from '../network-list.js';
import { buildPluginEnv } from './plugin-env.js';
import { runPlugin } from './run-plugin.js';

/** A plugin's answer to VERSION. */
export interface VersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}

/**
 * Runs VERSION. Like the Go library it sends dummy `CNI_NETNS`, `CNI_IFNAME` and `CNI_PATH` for
 * old plugins that demand them, reads a 0.2.0 answer without `supportedVersions` as 0.1.0 and
 * 0.2.0, and takes "unknown CNI_COMMAND: VERSION" as a 0.1.0-only plugin.
 */
export async function getVersionInfo(context: ChainContext, pluginType: string, file: string): Promise<VersionInfo> {
  const env = buildPluginEnv({ command: 'VERSION', netns: 'dummy', ifName: 'dummy', path: 'dummy' }, context);
  let output: unknown;
  try {
    output = await runPlugin({
      file,
      stdin: JSON.stringify({ cniVersion: CURRENT_VERSION }),
      env,
      command: 'VERSION',
      context: { plugin: pluginType },
      executor: context.executor,
      timeout: context.pluginTimeout,
      killGrace: context.killGrace,
      maxOutput: context.maxOutputBytes,
      signal: context.signal,
      onStderr: context.onStderr,
    });
  } catch (error) {
    if (error instanceof PluginReportedError && error.msg === 'unknown CNI_COMMAND: VERSION') {
      return { cniVersion: '0.1.0', supportedVersions: ['0.1.0'] };
    }
    throw error;
  }
  const parsed = VersionInfoSchema.safeParse(output);
  if (!parsed.success) {
    throw new VersionError(`plugin ${pluginType} gave a VERSION answer without cniVersion: ${JSON.stringify(output)}`, {
      plugin: pluginType,
      command: 'VERSION',
      cause: parsed.error,
    });
  }
  const { cniVersion, supportedVersions } = parsed.data;
  if (supportedVersions && supportedVersions.length > 0) return { cniVersion, supportedVersions };
  if (cniVersion === '0.2.0') return { cniVersion, supportedVersions: ['0.1.0', '0.2.0'] };
  throw new VersionError(`plugin ${pluginType} gave a VERSION answer without supportedVersions`, { plugin: pluginType, command: 'VERSION' });
}
