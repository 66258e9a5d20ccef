// Runs inside the benchmark's throwaway host network namespace (started with `ip netns exec`):
// times ADD + DEL of the real bridge (host-local IPAM) + portmap chain, either through the
// library in one configuration or by running the same binaries directly. Arguments: the settings
// file and what this process runs: `direct`, `default` or `fast` (one process each, so that one
// configuration's heap does not slow the others' spawns; the library is not loaded for `direct`).
// One JSON request per stdin line:
//   {"netns":"/var/run/netns/x","containerId":"c1"}
// answered with {"ok":true,"ms":..,"addMs":..,"delMs":..} or {"ok":false,"error":".."}.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { CNI, NetworkConfigList } from '../src/index.js';
import { bareSpawn } from './lib/bare.js';
import type { ConfigName } from './options.js';

interface WorkerConfig {
  conflist: string;
  cniPath: string[];
  cacheDir: string;
  capabilityArgs: Record<string, unknown>;
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as WorkerConfig;
const mode = process.argv[3] as 'direct' | ConfigName;
if (!['direct', 'default', 'fast'].includes(mode)) throw new Error(`unknown mode ${mode}`);
let library: { cni: CNI; list: NetworkConfigList } | undefined;
if (mode !== 'direct') {
  const { CNI, parseConfList } = await import('../src/index.js');
  const { configOptions } = await import('./lib/configs.js');
  library = { cni: new CNI({ ...configOptions(mode), path: config.cniPath, cacheDir: path.join(config.cacheDir, mode) }), list: parseConfList(config.conflist) };
}
const raw = JSON.parse(config.conflist) as { name: string; cniVersion: string; plugins: Record<string, unknown>[] };

async function ours(netns: string, containerId: string): Promise<[number, number]> {
  const { cni, list } = library!;
  const rt = { containerId, netns, ifName: 'eth0', capabilityArgs: config.capabilityArgs };
  const started = performance.now();
  await cni.addNetworkList(list, rt);
  const added = performance.now();
  await cni.delNetworkList(list, rt);
  return [added - started, performance.now() - added];
}

// What a runtime without the library minimally does: the same binaries, the same CNI_* variables,
// each plugin's config with name, cniVersion, runtimeConfig and prevResult set, the ADD result
// kept in memory for DEL.
function stdinOf(plugin: Record<string, unknown>, prevResult: unknown): string {
  const conf: Record<string, unknown> = { ...plugin, name: raw.name, cniVersion: raw.cniVersion };
  const wanted = Object.entries((plugin['capabilities'] as Record<string, boolean> | undefined) ?? {}).filter(([, on]) => on);
  const runtimeConfig = Object.fromEntries(wanted.filter(([name]) => config.capabilityArgs[name] !== undefined).map(([name]) => [name, config.capabilityArgs[name]]));
  if (Object.keys(runtimeConfig).length > 0) conf['runtimeConfig'] = runtimeConfig;
  if (prevResult !== undefined) conf['prevResult'] = prevResult;
  return JSON.stringify(conf);
}

async function direct(netns: string, containerId: string): Promise<[number, number]> {
  const env = (command: string) => ({
    ...(process.env as Record<string, string>),
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: netns,
    CNI_IFNAME: 'eth0',
    CNI_ARGS: '',
    CNI_PATH: config.cniPath.join(':'),
  });
  const file = (plugin: Record<string, unknown>) => path.join(config.cniPath[0]!, String(plugin['type']));
  const started = performance.now();
  let result: unknown;
  for (const plugin of raw.plugins) result = JSON.parse(await bareSpawn({ file: file(plugin), stdin: stdinOf(plugin, result), env: env('ADD') }));
  const added = performance.now();
  for (const plugin of [...raw.plugins].reverse()) await bareSpawn({ file: file(plugin), stdin: stdinOf(plugin, result), env: env('DEL') });
  return [added - started, performance.now() - added];
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer: Record<string, unknown>;
  try {
    const request = JSON.parse(line) as { netns: string; containerId: string };
    const [addMs, delMs] = await (mode === 'direct' ? direct : ours)(request.netns, request.containerId);
    answer = { ok: true, ms: addMs + delMs, addMs, delMs };
  } catch (error) {
    answer = { ok: false, error: (error as Error).message };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
