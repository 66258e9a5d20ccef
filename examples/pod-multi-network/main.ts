// One pod sandbox on two networks: eth0 on a bridge ("cluster") and net1 on a macvlan ("lan")
// whose master is a veth to a LAN namespace, plus loopback; all with the Kubernetes CNI_ARGS.
//
//   node examples/pod-multi-network/main.ts [--host-netns NAME] [--workdir DIR] [--report FILE]
//                                           [--cni-path DIR] [--id ID]
//
// Everything runs inside a throwaway namespace standing in for the host (see ../shared/host.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CNI, isCniError, loadNetworkList, type Result100 } from '../../dist/index.js';
import { runInHostNamespace } from '../shared/host.ts';
import { addNetns, delNetns, leftovers } from '../shared/netns.ts';
import { Cleanup, attempt, requireTools, run } from '../shared/system.ts';
import { attachPod, checkPod, detachPod, kubernetesArgs, type PodIdentity, type PodNetwork, type PodSandbox } from './pod.ts';

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

const BRIDGE = 'cni-pod0';
const MASTER = 'podlan0';
const log = (line: string) => console.log(line);

async function writeNetworkConfigs(confDir: string, ipamDir: string): Promise<void> {
  await mkdir(confDir, { recursive: true });
  const write = (file: string, config: object) => writeFile(path.join(confDir, file), `${JSON.stringify(config, null, 2)}\n`);
  await write('10-cluster.conflist', {
    cniVersion: '1.0.0',
    name: 'cluster',
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE,
        isGateway: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: '10.233.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
      },
    ],
  });
  await write('20-lan.conflist', {
    cniVersion: '1.0.0',
    name: 'lan',
    plugins: [
      {
        type: 'macvlan',
        master: MASTER,
        mode: 'bridge',
        ipam: { type: 'host-local', ranges: [[{ subnet: '192.168.233.0/24', rangeStart: '192.168.233.100', rangeEnd: '192.168.233.150' }]], dataDir: ipamDir },
      },
    ],
  });
  await write('99-loopback.conf', { cniVersion: '1.0.0', name: 'loopback', type: 'loopback' });
}

/** Busybox ping from inside a namespace; true when answered. */
async function ping(netns: string, address: string): Promise<boolean> {
  return (await attempt('ip', ['netns', 'exec', netns, 'busybox', 'ping', '-c', '1', '-W', '2', address], { timeoutMs: 10_000 })).ok;
}

async function inside(workdir: string, hostNs: string, report: Record<string, unknown>): Promise<void> {
  const confDir = path.join(workdir, 'net.d');
  const cacheDir = path.join(workdir, 'cache');
  const ipamDir = path.join(workdir, 'ipam');
  await writeNetworkConfigs(confDir, ipamDir);
  const cni = new CNI({ path: [flags['cni-path']], cacheDir });
  const cleanup = new Cleanup();
  cleanup.onSignals();
  try {
    // The LAN: a namespace at the far end of a veth whose near end is the macvlan master.
    const lanNs = `lan-${flags.id ?? process.pid}`;
    await addNetns(lanNs);
    cleanup.add(`delete namespace ${lanNs}`, () => delNetns(lanNs)); // takes the veth pair with it
    await run('ip', ['link', 'add', MASTER, 'type', 'veth', 'peer', 'name', 'lan0', 'netns', lanNs]);
    // Deleting the namespace frees the pair only once the kernel has torn the namespace down, which
    // it does in the background; deleting our end now leaves nothing behind at once.
    cleanup.add(`delete link ${MASTER}`, () => run('ip', ['link', 'del', MASTER]).then(() => undefined));
    await run('ip', ['link', 'set', MASTER, 'up']);
    await run('ip', ['-n', lanNs, 'addr', 'add', '192.168.233.1/24', 'dev', 'lan0']);
    await run('ip', ['-n', lanNs, 'link', 'set', 'lan0', 'up']);

    const pod: PodIdentity = { namespace: 'default', name: 'web-0', uid: randomUUID(), infraContainerId: randomBytes(32).toString('hex') };
    const sandboxNs = `pod-${flags.id ?? process.pid}`;
    report['namespaces'] = [lanNs, sandboxNs];
    const sandbox: PodSandbox = { pod, netns: await addNetns(sandboxNs) };
    cleanup.add(`delete namespace ${sandboxNs}`, () => delNetns(sandboxNs));
    log(`pod ${pod.namespace}/${pod.name} (uid ${pod.uid}), sandbox namespace ${sandbox.netns}`);
    const networks: PodNetwork[] = [
      { list: await loadNetworkList(confDir, 'loopback'), ifName: 'lo' },
      { list: await loadNetworkList(confDir, 'cluster'), ifName: 'eth0' },
      { list: await loadNetworkList(confDir, 'lan'), ifName: 'net1' },
    ];

    // Without IgnoreUnknown=1, host-local refuses the Kubernetes keys it does not know.
    const withoutIgnore = kubernetesArgs(pod).filter(([key]) => key !== 'IgnoreUnknown');
    try {
      await cni.addNetworkList(networks[1]!.list, { containerId: pod.infraContainerId, netns: sandbox.netns, ifName: 'eth0', args: withoutIgnore });
      throw new Error('host-local accepted unknown CNI_ARGS keys without IgnoreUnknown=1');
    } catch (error) {
      if (!isCniError(error)) throw error;
      report['withoutIgnoreUnknown'] = { code: error.code, plugin: error.plugin, cniCode: error.cniCode, message: error.message };
      const why = 'msg' in error ? String(error.msg) : error.message;
      log(`without IgnoreUnknown=1 the ${error.plugin ?? '?'} plugin refuses the pod (${error.code}, CNI code ${String(error.cniCode)}): ${why}`);
    }

    cleanup.checkpoint();
    // Registered first: DEL is safe to run even for an ADD that never finished.
    let detached = false;
    cleanup.add('detach the pod', async () => {
      if (!detached) await detachPod(cni, sandbox, networks);
    });
    let started = Date.now();
    const attached = await attachPod(cni, sandbox, networks);
    cleanup.checkpoint();
    report['attachMs'] = Date.now() - started;
    const addressOf = (ifName: string) => (attached.find((entry) => entry.ifName === ifName)?.result as Result100 | undefined)?.ips?.[0]?.address;
    report['eth0'] = addressOf('eth0');
    report['net1'] = addressOf('net1');
    log(`attached lo, eth0 ${String(report['eth0'])} (cluster), net1 ${String(report['net1'])} (lan) in ${String(report['attachMs'])} ms`);

    report['insideAddr'] = await run('ip', ['-n', sandboxNs, '-brief', 'addr']);
    log(`ip -n ${sandboxNs} -brief addr:\n${String(report['insideAddr']).trimEnd()}`);
    report['pingCluster'] = await ping(sandboxNs, '10.233.0.1');
    report['pingLan'] = await ping(sandboxNs, '192.168.233.1');
    cleanup.checkpoint();
    log(`from the pod: cluster gateway 10.233.0.1 ${report['pingCluster'] ? 'answers' : 'does NOT answer'}, LAN host 192.168.233.1 ${report['pingLan'] ? 'answers' : 'does NOT answer'}`);

    await checkPod(cni, sandbox, networks);
    report['cachedArgs'] = (await cni.getCachedAttachments(pod.infraContainerId)).map((entry) => ({ network: entry.networkName, ifName: entry.ifName, cniArgs: entry.cniArgs }));
    log('CHECK passed on all three networks; the cache keeps the CNI_ARGS for CHECK and DEL');

    started = Date.now();
    await detachPod(cni, sandbox, networks);
    detached = true;
    report['detachMs'] = Date.now() - started;
    report['leftovers'] = await leftovers({ hostNs, keepLinks: [BRIDGE, MASTER], ipamDir, cacheDir });
    report['sandboxLinks'] = (await run('ip', ['-n', sandboxNs, '-brief', 'link'])).trim().split('\n').map((line) => line.split(/\s+/)[0]);
    log(`detached in ${String(report['detachMs'])} ms; left behind: ${(report['leftovers'] as string[]).length === 0 ? 'nothing' : (report['leftovers'] as string[]).join(', ')}`);
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
    if (!report['pingCluster'] || !report['pingLan']) throw new Error('the pod could not reach both networks');
  } else {
    requireTools({ ip: 'iproute2', nsenter: 'util-linux', busybox: 'busybox-static', iptables: 'iptables' });
    for (const plugin of ['loopback', 'bridge', 'macvlan', 'host-local']) {
      if (!existsSync(path.join(flags['cni-path'], plugin))) throw new Error(`no ${plugin} plugin in ${flags['cni-path']}: apt-get install -y containernetworking-plugins`);
    }
    const args = ['--cni-path', flags['cni-path'], '--id', flags.id ?? String(process.pid), ...(flags.report ? ['--report', flags.report] : [])];
    process.exitCode = await runInHostNamespace({ script: fileURLToPath(import.meta.url), name: 'pod', hostNs: flags['host-netns'], workdir: flags.workdir, args });
  }
} catch (error) {
  console.error(`pod-multi-network example failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
