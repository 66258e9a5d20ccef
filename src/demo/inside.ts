// One step of the demo, run inside the throwaway host namespace: add, check or del.
import diagnostics from 'node:diagnostics_channel';
import path from 'node:path';
import { CNI } from '../cni.js';
import { loadNetworkList } from '../config/load.js';
import { isCniError } from '../errors.js';
import type { Result100 } from '../result/schemas.js';
import { DEMO_DIR, DEMO_NETWORK, bold, dim } from './support.js';

const stage = process.argv[2];
const netns = process.env['DEMO_NETNS']!;
const cni = new CNI({ path: process.env['CNI_PATH']!, cacheDir: path.join(DEMO_DIR, 'cache') });
const list = await loadNetworkList(process.env['NETCONFPATH']!, DEMO_NETWORK);
const runtime = { containerId: 'libcni-demo', netns, ifName: 'eth0' };
const ran: string[] = [];
diagnostics.subscribe('cni:plugin:finish', (message) => {
  const { plugin, durationMs } = message as { plugin: string; durationMs: number };
  ran.push(`${plugin} ${dim(`${durationMs.toFixed(0)} ms`)}`);
});

if (stage === 'add') {
  const portMappings = [{ hostPort: 18080, containerPort: 8080, protocol: 'tcp' }];
  const result = (await cni.addNetworkList(list, { ...runtime, capabilityArgs: { portMappings } })) as Result100;
  console.log(`\n${bold('ADD')} ran ${ran.join(', ')}`);
  const sandbox = result.interfaces?.find((entry) => entry.sandbox);
  for (const ip of result.ips ?? []) {
    const iface = ip.interface === undefined ? undefined : result.interfaces?.[ip.interface];
    console.log(`  interface ${iface?.name ?? '?'} (${iface?.mac ?? 'no mac'})  address ${ip.address}  gateway ${ip.gateway ?? 'none'}`);
  }
  console.log(`  routes: ${(result.routes ?? []).map((route) => `${route.dst}${route.gw ? ` via ${route.gw}` : ''}`).join(', ') || 'none'}`);
  console.log(`  sandbox: ${sandbox?.sandbox ?? netns}; port 18080 on the host side maps to 8080 in the container`);
  console.log(dim(`  result cached in ${path.join(DEMO_DIR, 'cache/results', `${DEMO_NETWORK}-${runtime.containerId}-eth0`)}`));
} else if (stage === 'check') {
  try {
    await cni.checkNetworkList(list, runtime);
    console.log(`\n${bold('CHECK')} passed: ${ran.join(', ')}`);
  } catch (error) {
    // portmap 1.1.1 looks for IPv4 rules in its IPv6 chain and so fails every IPv4-only CHECK.
    if (isCniError(error) && error.plugin === 'portmap' && /ipv6/i.test(error.message)) {
      console.log(`\n${bold('CHECK')} passed for ${ran.join(', ')}; portmap failed:`);
      console.log(dim(`  portmap answered "${(error as { msg?: string }).msg ?? error.message}": a known bug of portmap 1.1.1 on IPv4-only networks, not of the attachment`));
    } else {
      throw error;
    }
  }
} else if (stage === 'del') {
  // A new process with no state of its own: the cached result and port mappings drive the DEL.
  await cni.delNetworkList(list, runtime);
  console.log(`\n${bold('DEL')} from a fresh process, using only the cache: ran ${ran.join(', ')}`);
} else {
  throw new Error(`unknown demo step ${stage}`);
}
