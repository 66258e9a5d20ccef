// cache ls, cache show: what the result cache holds.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { formatCniArgs } from '../args.js';
import { decodeCacheEntry, readCacheEntry, type CacheEntry } from '../cache/cache.js';
import { validateContainerId, validateInterfaceName, validateNetworkName } from '../config/validate.js';
import { CacheError } from '../errors.js';
import { containerIdForNetns, createCni, expectArgs, ifName, type Cli } from './context.js';
import { table } from './output.js';

// Files in the results directory the library could not read as attachments, with why.
async function unreadableFiles(dir: string, listed: ReadonlySet<string>): Promise<{ file: string; reason: string }[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: { file: string; reason: string }[] = [];
  for (const name of names.filter((name) => !name.startsWith('.')).sort()) {
    const file = path.join(dir, name);
    if (listed.has(file)) continue;
    const read = await readFile(file, 'utf8').then(
      (text) => decodeCacheEntry(text, file),
      (error: Error) => ({ state: 'corrupt' as const, reason: error.message }),
    );
    if (read.state === 'corrupt') found.push({ file, reason: read.reason });
    else if (read.state === 'legacy') found.push({ file, reason: 'a bare result from before the cache format' });
    else found.push({ file, reason: 'the attachment it names is incomplete' });
  }
  return found;
}

export async function cacheLsCommand(cli: Cli): Promise<void> {
  const [containerId] = expectArgs(cli, 'cache ls', 0, 1);
  const cni = createCni(cli);
  const attachments = await cni.getCachedAttachments(containerId, cli.call);
  const dir = path.join(cni.cacheDir, 'results');
  const listed = new Set(attachments.map((entry) => entry.file));
  const unreadable = containerId === undefined ? await unreadableFiles(dir, listed) : [];

  const lines: string[] = [];
  if (attachments.length === 0) {
    lines.push(`no cached attachments${containerId ? ` of container ${containerId}` : ''} in ${dir}`);
  } else {
    const rows = attachments.map((entry) => [entry.networkName, entry.containerId, entry.ifName, entry.netns ?? '']);
    lines.push(table([['NETWORK', 'CONTAINER ID', 'IFNAME', 'NETNS'], ...rows]));
  }
  if (unreadable.length > 0) {
    lines.push('', 'unreadable cache files:', ...unreadable.map((entry) => `  ${entry.file}: ${entry.reason}`));
  }
  cli.output.print(lines.join('\n'), {
    cacheDir: cni.cacheDir,
    attachments: attachments.map((entry) => ({
      network: entry.networkName,
      containerId: entry.containerId,
      ifName: entry.ifName,
      netns: entry.netns ?? null,
      cniArgs: entry.cniArgs ?? [],
      capabilityArgs: entry.capabilityArgs ?? {},
      file: entry.file,
    })),
    unreadable,
  });
}

function describeEntry(file: string, entry: CacheEntry, config: string): string {
  const rows = [
    ['file:', file],
    ['network:', entry.networkName],
    ['container ID:', entry.containerId],
    ['interface:', entry.ifName],
    ['netns:', entry.netns || '(none)'],
    ['CNI_ARGS:', formatCniArgs(entry.cniArgs ?? []) || '(none)'],
    ['capability args:', entry.capabilityArgs ? JSON.stringify(entry.capabilityArgs) : '(none)'],
  ];
  const result = entry.result === undefined ? '(none)' : JSON.stringify(entry.result, null, 4);
  return `${table(rows)}\nconfig:\n${config.endsWith('\n') ? config : `${config}\n`}result:\n${result}`;
}

/** Prints one cache entry: the attachment, its cached arguments, config (as text) and result. */
export async function cacheShowCommand(cli: Cli): Promise<void> {
  const { containerId: given } = cli.options;
  const required = given === undefined ? 2 : 1;
  const [network, netns] = expectArgs(cli, 'cache show', required, 2) as [string, string | undefined];
  const key = { networkName: network, containerId: given ?? containerIdForNetns(netns ?? ''), ifName: ifName(cli) };
  validateNetworkName(key.networkName);
  validateContainerId(key.containerId);
  validateInterfaceName(key.ifName);

  const cni = createCni(cli);
  const read = await readCacheEntry(cni.cacheDir, key);
  const what = `network "${key.networkName}", container ${key.containerId}, interface ${key.ifName}`;
  const where = { file: read.file, network };
  if (read.state === 'missing') throw new CacheError(`nothing cached for ${what} (no file ${read.file})`, where);
  if (read.state === 'corrupt') throw new CacheError(`cache file ${read.file} is corrupt: ${read.reason}`, where);
  if (read.state === 'legacy') {
    const result = JSON.stringify(read.result, null, 4);
    cli.output.print(`file: ${read.file}\n(a bare result from before the cache format)\nresult:\n${result}`, {
      file: read.file,
      kind: null,
      result: read.result,
    });
    return;
  }
  const { entry } = read;
  const config = Buffer.from(entry.config).toString('utf8');
  cli.output.print(describeEntry(read.file, entry, config), {
    file: read.file,
    kind: entry.kind,
    network: entry.networkName,
    containerId: entry.containerId,
    ifName: entry.ifName,
    netns: entry.netns ?? null,
    cniArgs: entry.cniArgs ?? [],
    capabilityArgs: entry.capabilityArgs ?? {},
    config,
    result: entry.result ?? null,
  });
}
