import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { CacheError } from '../errors.js';
import { publish } from '../diagnostics.js';

/** The default cache root, shared with the Go library and its runtimes. */
export const DEFAULT_CACHE_DIR = '/var/lib/cni';

/** The `kind` of every cache file this library and the Go library write. */
export const CACHE_KIND = 'cniCacheV1';

/** What identifies one attachment: a network, a container and an interface name. */
export interface AttachmentKey {
  networkName: string;
  containerId: string;
  ifName: string;
}

/** One cache file, in the Go library's format. */
export interface CacheEntry extends AttachmentKey {
  kind: typeof CACHE_KIND;
  /** The bytes of the network config file at ADD time. */
  config: Uint8Array;
  netns?: string | undefined;
  cniArgs?: [string, string][] | undefined;
  capabilityArgs?: Record<string, unknown> | undefined;
  /** The final ADD result, as JSON. */
  result?: unknown;
}

/** What reading a cache file found. */
export type CacheRead =
  | { state: 'missing'; file: string }
  | { state: 'corrupt'; file: string; reason: string }
  | { state: 'ok'; file: string; entry: CacheEntry }
  /** A file from before the cache format: the whole file is a bare result. */
  | { state: 'legacy'; file: string; result: unknown }
  /**
   * A valid entry of another attachment whose names join to the same file name (network `a-b`
   * with container `c` and network `a` with container `b-c` both give `a-b-c-<ifName>`).
   */
  | { state: 'foreign'; file: string; entry: CacheEntry };

/** `<cacheDir>/results/<network>-<containerId>-<ifName>`, the Go library's layout. */
export function cacheFilePath(cacheDir: string, key: AttachmentKey): string {
  if (!key.networkName || !key.containerId || !key.ifName) {
    throw new CacheError(
      `cache file path requires network name (${JSON.stringify(key.networkName)}), container ID (${JSON.stringify(key.containerId)}), and interface name (${JSON.stringify(key.ifName)})`,
    );
  }
  return path.join(cacheDir, 'results', `${key.networkName}-${key.containerId}-${key.ifName}`);
}

/** Encodes an entry byte for byte in the Go library's field order. */
export function encodeCacheEntry(entry: CacheEntry): string {
  const out: Record<string, unknown> = {
    kind: CACHE_KIND,
    containerId: entry.containerId,
    config: Buffer.from(entry.config).toString('base64'),
    ifName: entry.ifName,
    networkName: entry.networkName,
  };
  if (entry.netns) out['netns'] = entry.netns;
  if (entry.cniArgs && entry.cniArgs.length > 0) out['cniArgs'] = entry.cniArgs;
  if (entry.capabilityArgs && Object.keys(entry.capabilityArgs).length > 0) out['capabilityArgs'] = entry.capabilityArgs;
  if (entry.result !== undefined && entry.result !== null) out['result'] = entry.result;
  return JSON.stringify(out);
}

function isPairs(value: unknown): value is [string, string][] {
  return Array.isArray(value) && value.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((s) => typeof s === 'string'));
}

/** Reads a cache file's text; never throws for bad content, only reports it. */
export function decodeCacheEntry(text: string, file: string): CacheRead {
  if (text.trim() === '') return { state: 'corrupt', file, reason: 'the file is empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { state: 'corrupt', file, reason: `not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { state: 'corrupt', file, reason: 'not a JSON object' };
  }
  const object = value as Record<string, unknown>;
  if (object['kind'] !== CACHE_KIND) {
    if ('kind' in object) return { state: 'corrupt', file, reason: `wrong kind ${JSON.stringify(object['kind'])}` };
    return { state: 'legacy', file, result: object };
  }
  const { containerId, config, ifName, networkName, netns, cniArgs, capabilityArgs, result } = object;
  if (typeof containerId !== 'string' || typeof ifName !== 'string' || typeof networkName !== 'string') {
    return { state: 'corrupt', file, reason: 'containerId, ifName or networkName missing' };
  }
  if (config !== undefined && typeof config !== 'string') return { state: 'corrupt', file, reason: 'config is not base64' };
  if (netns !== undefined && typeof netns !== 'string') return { state: 'corrupt', file, reason: 'netns is not a string' };
  if (cniArgs !== undefined && cniArgs !== null && !isPairs(cniArgs)) return { state: 'corrupt', file, reason: 'cniArgs is not a list of pairs' };
  if (capabilityArgs !== undefined && capabilityArgs !== null && (typeof capabilityArgs !== 'object' || Array.isArray(capabilityArgs))) {
    return { state: 'corrupt', file, reason: 'capabilityArgs is not an object' };
  }
  return {
    state: 'ok',
    file,
    entry: {
      kind: CACHE_KIND,
      containerId,
      ifName,
      networkName,
      config: Buffer.from(config ?? '', 'base64'),
      netns,
      cniArgs: (cniArgs ?? undefined) as [string, string][] | undefined,
      capabilityArgs: (capabilityArgs ?? undefined) as Record<string, unknown> | undefined,
      result: result ?? undefined,
    },
  };
}

/** Reads the cache file of one attachment. */
export async function readCacheEntry(cacheDir: string, key: AttachmentKey): Promise<CacheRead> {
  const file = cacheFilePath(cacheDir, key);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { state: 'missing', file };
    return { state: 'corrupt', file, reason: `unreadable: ${(error as Error).message}` };
  }
  const read = decodeCacheEntry(text, file);
  if (read.state !== 'ok') return read;
  const { entry } = read;
  if (entry.networkName !== key.networkName || entry.containerId !== key.containerId || entry.ifName !== key.ifName) {
    return { state: 'foreign', file, entry };
  }
  return read;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates `<cacheDir>/results` (mode 0700) if needed. */
export async function ensureCacheDir(cacheDir: string): Promise<string> {
  const dir = path.join(cacheDir, 'results');
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CacheError(`cannot create cache directory ${dir}: ${(error as Error).message}`, { file: dir, cause: error });
  }
  return dir;
}

/** How `writeCacheEntry` writes. */
export interface WriteCacheOptions {
  /**
   * fsync the file and the directory, so that the entry survives a power loss or kernel crash.
   * Without it the write is still atomic for readers and against a crash of this process.
   * @default true
   */
  sync?: boolean | undefined;
}

/**
 * Writes an entry atomically: a temporary file in the same directory (mode 0600), fsync, rename
 * over the old file, fsync of the directory. A crash leaves either the old or the new file.
 *
 * @throws {CacheError} `ERR_CNI_CACHE`
 */
export async function writeCacheEntry(cacheDir: string, entry: CacheEntry, options: WriteCacheOptions = {}): Promise<string> {
  const file = cacheFilePath(cacheDir, entry);
  const dir = path.join(cacheDir, 'results');
  const sync = options.sync ?? true;
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // The directory almost always exists: try first, create it (or report why not) only on failure.
  const create = () => open(temp, 'wx', 0o600);
  const handle = await create().catch(async () => {
    await ensureCacheDir(cacheDir);
    return create().catch((error: unknown) => {
      throw new CacheError(`cannot write cache file ${file}: ${(error as Error).message}`, { file, cause: error });
    });
  });
  try {
    try {
      await handle.writeFile(encodeCacheEntry(entry));
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    if (sync) await syncDir(dir);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw new CacheError(`cannot write cache file ${file}: ${(error as Error).message}`, { file, cause: error });
  }
  publish('cache:write', { file });
  return file;
}

/** Removes the cache file of one attachment; a missing file is fine. */
export async function removeCacheEntry(cacheDir: string, key: AttachmentKey): Promise<void> {
  const file = cacheFilePath(cacheDir, key);
  try {
    // unlink, not rm: one system call instead of lstat + unlink; a missing file is fine.
    await unlink(file).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  } catch (error) {
    throw new CacheError(`cannot remove cache file ${file}: ${(error as Error).message}`, { file, cause: error });
  }
  publish('cache:remove', { file });
}

/** An attachment found in the cache. */
export interface CachedAttachment extends AttachmentKey {
  netns: string | undefined;
  cniArgs: [string, string][] | undefined;
  capabilityArgs: Record<string, unknown> | undefined;
  config: Uint8Array;
  file: string;
}

/**
 * Lists the attachments in the cache, optionally of one container, in file name order. The
 * identity comes from each file's content, not its name; unreadable files are skipped.
 */
export async function listCachedAttachments(cacheDir: string, containerId?: string): Promise<CachedAttachment[]> {
  const dir = path.join(cacheDir, 'results');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CacheError(`cannot list cache directory ${dir}: ${(error as Error).message}`, { file: dir, cause: error });
  }
  const found: CachedAttachment[] = [];
  for (const name of names) {
    if (containerId !== undefined && !name.includes(`-${containerId}-`)) continue;
    const file = path.join(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const read = decodeCacheEntry(text, file);
    if (read.state !== 'ok') continue;
    const { entry } = read;
    if (containerId !== undefined && entry.containerId !== containerId) continue;
    if (!entry.ifName || !entry.networkName) continue;
    found.push({
      networkName: entry.networkName,
      containerId: entry.containerId,
      ifName: entry.ifName,
      netns: entry.netns,
      cniArgs: entry.cniArgs,
      capabilityArgs: entry.capabilityArgs,
      config: entry.config,
      file,
    });
  }
  return found;
}

/**
 * Removes temporary files that writers killed mid-write left in `<cacheDir>/results`: those whose
 * process (named in the file name) is gone. Returns how many were removed.
 */
export async function sweepTempFiles(cacheDir: string): Promise<number> {
  const dir = path.join(cacheDir, 'results');
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const match = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
    if (!match || processAlive(Number(match[1]))) continue;
    await rm(path.join(dir, name), { force: true }).catch(() => {});
    removed++;
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
