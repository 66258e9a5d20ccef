import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, PluginNotFoundError } from '../errors.js';

/** Throws unless `type` is a single file name: not empty, `.` or `..`, no `/`, `\` or NUL. */
export function validatePluginType(type: string): void {
  if (type === '') throw new InvalidArgumentError('no plugin name provided', { cniCode: 7 });
  if (type === '.' || type === '..' || /[/\\\0]/.test(type)) {
    throw new InvalidArgumentError(`invalid plugin name ${JSON.stringify(type)}: must be a file name without / or \\`, {
      cniCode: 7,
      plugin: type,
    });
  }
}

/**
 * Finds the plugin `type` on the CNI path: the first regular, executable file named `type`, trying
 * the directories in order. Unlike the Go library, a non-executable file does not shadow an
 * executable one later on the path. The name is checked before any file system access.
 *
 * @throws {InvalidArgumentError} `ERR_CNI_INVALID_ARG` for a name that is not a plain file name.
 * @throws {PluginNotFoundError} `ERR_CNI_PLUGIN_NOT_FOUND`
 */
export async function findPlugin(type: string, paths: readonly string[]): Promise<string> {
  validatePluginType(type);
  if (paths.length === 0) {
    throw new PluginNotFoundError(`failed to find plugin "${type}": no plugin directories configured (set CNI_PATH)`, {
      plugin: type,
      paths,
    });
  }
  const notExecutable: string[] = [];
  for (const dir of paths) {
    const candidate = path.join(dir, type);
    // Both questions at once: one round trip to the thread pool instead of two.
    const [info, executable] = await Promise.all([
      stat(candidate).catch(() => undefined),
      access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      ),
    ]);
    if (!info?.isFile()) continue;
    if (executable) return candidate;
    notExecutable.push(candidate);
  }
  const note = notExecutable.length > 0 ? ` (not executable: ${notExecutable.join(', ')})` : '';
  throw new PluginNotFoundError(`failed to find plugin "${type}" in path [${paths.join(' ')}]${note}`, {
    plugin: type,
    paths,
  });
}

/** Splits a `CNI_PATH`-style string on `:` and drops empty entries. */
export function splitPath(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  return list.flatMap((entry) => entry.split(path.delimiter)).filter((entry) => entry !== '');
}
