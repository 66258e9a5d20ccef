// Runs one busybox container with the tiny runtime of runtime.ts: create (namespace + networks +
// bundle), start (runc), look at it from inside and outside, stop, remove.
//
//   node examples/tiny-runtime/main.ts [--host-netns NAME] [--workdir DIR] [--report FILE]
//                                      [--cni-path DIR] [--id ID]
//
// The runtime itself runs inside a throwaway namespace standing in for the host (created unless
// --host-netns names one), entered with `nsenter --net` so that it keeps this machine's mount
// namespace: the container namespaces it creates with `ip netns add` stay visible to everyone.
// A real runtime would simply run in the host's namespace.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeBusyboxRootfs } from '../shared/busybox.ts';
import { runInHostNamespace } from '../shared/host.ts';
import { delNetns, leftovers, netnsPath } from '../shared/netns.ts';
import { Cleanup, httpGet, requireTools, waitFor } from '../shared/system.ts';
import type { Result100 } from '../../dist/index.js';
import { TinyRuntime } from './runtime.ts';

const { values: flags } = parseArgs({
  options: {
    inside: { type: 'boolean', default: false },
    'host-netns': { type: 'string' },
    workdir: { type: 'string' },
    report: { type: 'string' },
    'cni-path': { type: 'string', default: '/usr/lib/cni' },
    /** Names this run's container and namespaces; the PID by default. */
    id: { type: 'string' },
  },
});

const BRIDGE = 'cni-tiny0';
const PORT = 8080;
const PAGE = 'hello from a runc container on a CNI network';
const log = (line: string) => console.log(line);

async function writeNetworkConfigs(confDir: string, ipamDir: string): Promise<void> {
  await mkdir(confDir, { recursive: true });
  const bridge = {
    cniVersion: '1.0.0',
    name: 'tiny',
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE,
        isGateway: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: '10.232.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
      },
    ],
  };
  await writeFile(path.join(confDir, '10-tiny.conflist'), `${JSON.stringify(bridge, null, 2)}\n`);
  await writeFile(path.join(confDir, '99-loopback.conf'), `${JSON.stringify({ cniVersion: '1.0.0', name: 'loopback', type: 'loopback' }, null, 2)}\n`);
}

/** The runtime's life, run inside the host namespace. */
async function inside(workdir: string, hostNs: string, report: Record<string, unknown>): Promise<void> {
  const confDir = path.join(workdir, 'net.d');
  const cacheDir = path.join(workdir, 'cache');
  const ipamDir = path.join(workdir, 'ipam');
  const runcRoot = path.join(workdir, 'runc');
  await writeNetworkConfigs(confDir, ipamDir);
  const runtime = new TinyRuntime({ cniPath: [flags['cni-path']], confDir, cacheDir, bundlesDir: path.join(workdir, 'bundles'), runcRoot });

  const id = `demo-${flags.id ?? process.pid}`;
  report['id'] = id;
  report['namespaces'] = [`tiny-${id}`];
  const cleanup = new Cleanup();
  cleanup.onSignals();
  // If anything below fails: stop the container, detach, and as a last resort drop the namespace.
  cleanup.add('delete the container namespace', () => delNetns(`tiny-${id}`));
  cleanup.add('remove the container', () => runtime.remove(id));
  cleanup.add('stop the container', () => runtime.stop(id));
  try {
    let started = Date.now();
    const container = await runtime.create({
      id,
      rootfs: (dir) => writeBusyboxRootfs(dir, PAGE),
      // sh as PID 1 ends on SIGTERM; httpd serves the page.
      args: ['sh', '-c', `trap 'exit 0' TERM; httpd -f -p ${PORT} -h /www & wait`],
      networks: [
        { name: 'loopback', ifName: 'lo' },
        { name: 'tiny', ifName: 'eth0' },
      ],
    });
    report['createMs'] = Date.now() - started;
    cleanup.checkpoint();
    // The configs say cniVersion 1.0.0, so results come in that shape.
    const eth0 = (container.networks.find((entry) => entry.ifName === 'eth0')?.result as Result100 | undefined)?.ips?.[0];
    if (!eth0) throw new Error('the bridge network returned no address');
    report['address'] = eth0.address;
    log(`created ${id}: namespace ${container.netns}, lo up, eth0 ${eth0.address} (${String(report['createMs'])} ms)`);

    started = Date.now();
    await runtime.start(id);
    report['startMs'] = Date.now() - started;
    cleanup.checkpoint();
    log(`runc run --detach ${id} (${String(report['startMs'])} ms)`);

    const address = eth0.address.split('/')[0]!;
    // From inside: the loopback answers only because the loopback plugin brought lo up.
    report['insideLoopback'] = await waitFor('httpd inside the container', async () => {
      const page = await runtime.exec(id, ['timeout', '5', 'wget', '-q', '-O', '-', `http://127.0.0.1:${PORT}/`]).catch(() => undefined);
      return page?.trim();
    }, 10_000, 100);
    report['insideAddr'] = await runtime.exec(id, ['ip', 'addr']);
    log(`runc exec ${id} ip addr:\n${String(report['insideAddr']).trimEnd()}`);
    // From the host namespace this process is in: a plain HTTP request to the container's address.
    report['fromHost'] = (await httpGet(`http://${address}:${PORT}/`)).trim();
    log(`GET http://${address}:${PORT}/ from ${hostNs} -> ${String(report['fromHost'])}`);
    cleanup.checkpoint();

    started = Date.now();
    await runtime.stop(id);
    report['stopMs'] = Date.now() - started;
    started = Date.now();
    await runtime.remove(id);
    report['removeMs'] = Date.now() - started;
    log(`stopped (${String(report['stopMs'])} ms) and removed (${String(report['removeMs'])} ms): networks detached, namespace deleted`);

    report['namespaceLeft'] = existsSync(netnsPath(`tiny-${id}`));
    report['leftovers'] = await leftovers({ hostNs, keepLinks: [BRIDGE], ipamDir, cacheDir });
    log(`left behind: ${(report['leftovers'] as string[]).length === 0 ? 'nothing' : (report['leftovers'] as string[]).join(', ')}`);
  } finally {
    report['cleanupFailures'] = await cleanup.run();
  }
}

try {
  if (flags.inside) {
    const report: Record<string, unknown> = {};
    try {
      await inside(flags.workdir!, flags['host-netns']!, report);
    } finally {
      if (flags.report) await writeFile(flags.report, JSON.stringify(report, null, 2));
    }
    const left = [...((report['leftovers'] as string[] | undefined) ?? []), ...((report['cleanupFailures'] as string[] | undefined) ?? [])];
    if (left.length > 0) throw new Error(`not everything was cleaned up: ${left.join('; ')}`);
  } else {
    requireTools({ ip: 'iproute2', nsenter: 'util-linux', runc: 'runc', busybox: 'busybox-static', iptables: 'iptables' });
    for (const plugin of ['loopback', 'bridge', 'host-local']) {
      if (!existsSync(path.join(flags['cni-path'], plugin))) throw new Error(`no ${plugin} plugin in ${flags['cni-path']}: apt-get install -y containernetworking-plugins`);
    }
    const args = ['--cni-path', flags['cni-path'], '--id', flags.id ?? String(process.pid), ...(flags.report ? ['--report', flags.report] : [])];
    process.exitCode = await runInHostNamespace({ script: fileURLToPath(import.meta.url), name: 'tiny', hostNs: flags['host-netns'], workdir: flags.workdir, args });
  }
} catch (error) {
  console.error(`tiny-runtime example failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
