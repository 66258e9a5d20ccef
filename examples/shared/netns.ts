// Named network namespaces (as `ip netns` makes them) and a look at what the CNI plugins left in
// the throwaway "host" namespace after a detach.
import { readdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { attempt, run, type RunOptions } from './system.ts';

export const NETNS_DIR = '/var/run/netns';

export function netnsPath(name: string): string {
  return path.join(NETNS_DIR, name);
}

/** Creates a named namespace with its loopback up. */
export async function addNetns(name: string): Promise<string> {
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return netnsPath(name);
}

/** Deletes a named namespace; one that is already gone is fine. */
export async function delNetns(name: string): Promise<void> {
  const outcome = await attempt('ip', ['netns', 'del', name]);
  if (!outcome.ok && !/No such file/.test(outcome.stderr)) throw new Error(outcome.stderr);
}

/** Runs a command inside a named namespace. */
export function inNetns(name: string, file: string, args: readonly string[], options?: RunOptions): Promise<string> {
  return run('ip', ['netns', 'exec', name, file, ...args], options);
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export interface LeftoverQuery {
  hostNs: string;
  /** Links that may stay in the host namespace (bridges, veths the example made itself). */
  keepLinks?: readonly string[];
  /** host-local's `dataDir`: no address may still be reserved in it. */
  ipamDir?: string;
  /** The libcni cache directory: no result may still be cached in it. */
  cacheDir?: string;
}

/**
 * What the plugins left behind: links in the host namespace other than `lo` and `keepLinks`,
 * per-container iptables chains (`CNI-…` other than portmap's shared `CNI-HOSTPORT-…`), host-local
 * reservations, cached results and held locks. Empty when a detach cleaned up completely.
 */
export async function leftovers(query: LeftoverQuery): Promise<string[]> {
  const found: string[] = [];
  const links = JSON.parse(await run('ip', ['-n', query.hostNs, '-j', 'link', 'show'])) as { ifname: string }[];
  for (const { ifname } of links) {
    if (ifname !== 'lo' && !query.keepLinks?.includes(ifname)) found.push(`link ${ifname} in ${query.hostNs}`);
  }
  for (const table of ['nat', 'filter', 'mangle']) {
    const rules = await attempt('ip', ['netns', 'exec', query.hostNs, 'iptables', '-t', table, '-S']);
    for (const line of rules.stdout.split('\n')) {
      const chain = /^-N (CNI-\S+)/.exec(line)?.[1];
      if (chain && !chain.startsWith('CNI-HOSTPORT-') && chain !== 'CNI-FORWARD' && chain !== 'CNI-ADMIN') {
        found.push(`iptables chain ${table}/${chain} in ${query.hostNs}`);
      }
    }
  }
  if (query.ipamDir) {
    for (const network of await listDir(query.ipamDir)) {
      for (const name of await listDir(path.join(query.ipamDir, network))) {
        if (isIP(name) !== 0) found.push(`address ${name} still reserved in ${path.join(query.ipamDir, network)}`);
      }
    }
  }
  if (query.cacheDir) {
    for (const name of await listDir(path.join(query.cacheDir, 'results'))) found.push(`cached result ${name}`);
    for (const network of await listDir(path.join(query.cacheDir, 'locks'))) {
      for (const name of await listDir(path.join(query.cacheDir, 'locks', network))) found.push(`lock file ${network}/${name}`);
    }
  }
  return found;
}
