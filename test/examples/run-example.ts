// Runs one of the examples/ programs the way a reader would (node <example>/main.ts), but in a
// host namespace and work directory the test owns, and reads back the report it writes.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, exec, type Output } from '../plugins/lab.js';

export const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

export interface ExampleRun {
  out: Output;
  // The report is plain JSON the example wrote; tests read the fields they know.
  report: Record<string, any>;
  ms: number;
}

/** `node examples/<name>/main.ts --host-netns <lab host> --workdir <dir> --report <file> ...args`. */
export async function runExample(name: string, lab: Lab, workdir: string, args: readonly string[] = [], timeoutMs = 180_000): Promise<ExampleRun> {
  const reportFile = path.join(lab.dir, `${name}-report.json`);
  const started = Date.now();
  const out = await exec(process.execPath, [path.join(EXAMPLES, name, 'main.ts'), '--host-netns', lab.host, '--workdir', workdir, '--report', reportFile, ...args], { timeoutMs });
  const ms = Date.now() - started;
  if (out.code !== 0) {
    throw new Error(`example ${name} exited with ${out.code} after ${ms} ms\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`);
  }
  return { out, report: JSON.parse(await readFile(reportFile, 'utf8')) as Record<string, any>, ms };
}

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/**
 * What an example left in its work directory and host namespace: host-local reservations, cached
 * results, held locks, links other than `keepLinks`, per-container iptables chains, and the
 * namespaces it named in its report.
 */
export async function leftState(lab: Lab, workdir: string, keepLinks: readonly string[], namespaces: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const ipam = path.join(workdir, 'ipam');
  for (const network of await list(ipam)) {
    for (const name of await list(path.join(ipam, network))) if (isIP(name) !== 0) found.push(`reservation ${network}/${name}`);
  }
  for (const name of await list(path.join(workdir, 'cache/results'))) found.push(`cached result ${name}`);
  for (const network of await list(path.join(workdir, 'cache/locks'))) {
    for (const name of await list(path.join(workdir, 'cache/locks', network))) found.push(`lock ${network}/${name}`);
  }
  for (const link of await lab.links(lab.host)) if (link.ifname !== 'lo' && !keepLinks.includes(link.ifname)) found.push(`link ${link.ifname}`);
  for (const table of ['nat', 'filter', 'mangle']) {
    for (const line of await lab.iptables(lab.host, table)) {
      const chain = /^-N (CNI-\S+)/.exec(line)?.[1];
      if (chain && !chain.startsWith('CNI-HOSTPORT-')) found.push(`iptables chain ${table}/${chain}`);
    }
  }
  for (const name of namespaces) if (existsSync(lab.path(name))) found.push(`namespace ${name}`);
  return found;
}
