// ls: the networks of the config directory as a runtime sees them.
import { stat } from 'node:fs/promises';
import { requiredPlugins, type NetworkConfigList } from '../config/conflist.js';
import { loadNetworkDirectory } from '../config/load.js';
import { findPlugin, splitPath } from '../invoke/find-plugin.js';
import { NoConfigsFoundError } from '../errors.js';
import { effectiveVersion } from '../version.js';
import { confDir, expectArgs, type Cli } from './context.js';
import { errorToJson, oneLine } from './errors.js';
import { table } from './output.js';

async function missingPlugins(list: NetworkConfigList, paths: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const type of new Set(requiredPlugins(list).map((entry) => entry.type))) {
    await findPlugin(type, paths).catch(() => missing.push(type));
  }
  return missing;
}

async function isMissing(dir: string): Promise<boolean> {
  try {
    await stat(dir);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Lists every network of the config directory in the order runtimes load them; the first is the
 * default network. Files that failed to load, or repeat a name, are listed as skipped with why.
 */
export async function lsCommand(cli: Cli): Promise<void> {
  expectArgs(cli, 'ls', 0, 0);
  const dir = confDir(cli);
  if (await isMissing(dir)) {
    const error = new NoConfigsFoundError(dir);
    error.message += ' (the directory does not exist)';
    throw error;
  }
  const { networks, skipped } = await loadNetworkDirectory(dir);
  // As a runtime would: the default is the first network whose plugins (and IPAM plugins) are all
  // on the CNI path, when one is given.
  const paths = splitPath(cli.env['CNI_PATH'] ?? '');
  const missing = await Promise.all(networks.map((list) => (paths.length === 0 ? [] : missingPlugins(list, paths))));
  const defaultIndex = missing.findIndex((names) => names.length === 0);
  const rows = networks.map((list, index) => ({
    name: list.name,
    cniVersion: effectiveVersion(list.cniVersion),
    plugins: list.plugins.map((plugin) => plugin.type),
    file: list.file ?? null,
    default: index === defaultIndex,
    missing: missing[index]!,
  }));

  const lines: string[] = [];
  if (rows.length === 0) lines.push(`no valid network configurations in ${dir}`);
  else {
    const header = ['', 'NAME', 'CNIVERSION', 'PLUGINS', 'FILE'];
    const body = rows.map((row) => [
      row.default ? '*' : '',
      row.name,
      row.cniVersion,
      row.plugins.join(','),
      `${row.file ?? ''}${row.missing.length > 0 ? `  (missing from CNI_PATH: ${row.missing.join(', ')})` : ''}`,
    ]);
    lines.push(table([header, ...body]), '', '* the default network (the first valid file whose plugins are all installed)');
  }
  if (skipped.length > 0) {
    lines.push('', `skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'}:`);
    for (const entry of skipped) lines.push(`  ${oneLine(entry.error)}`);
  }
  cli.output.print(lines.join('\n'), {
    dir,
    default: rows[defaultIndex]?.name ?? null,
    networks: rows,
    skipped: skipped.map((entry) => ({ file: entry.file, error: errorToJson(entry.error) })),
  });
}
