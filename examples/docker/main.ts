// A Docker container on CNI networks: Docker starts the container with `--network=none`, and
// libcni gives its network namespace a loopback, an eth0 on a bridge (host-local addresses) and a
// published port (portmap), then takes them away again.
//
//   node examples/docker/main.ts [--docker-host unix:///path/docker.sock] [--host-netns NAME]
//                                [--workdir DIR] [--report FILE] [--cni-path DIR]
//
// Without --docker-host it starts its own dockerd that cannot touch this machine's network
// (no bridge, no iptables, no forwarding changes) on a private socket and data directory. Without
// --host-netns it creates a throwaway namespace that stands in for the host: the plugins run in
// it, so the bridge, the veth and the iptables rules never reach this machine's own network.
import { openSync, closeSync, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeBusyboxRootfs } from '../shared/busybox.ts';
import { addNetns, delNetns, inNetns, leftovers } from '../shared/netns.ts';
import { Cleanup, alive, attempt, requireTools, run, startDaemon, stopPid, waitFor } from '../shared/system.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: flags } = parseArgs({
  options: {
    'docker-host': { type: 'string' },
    'host-netns': { type: 'string' },
    workdir: { type: 'string' },
    report: { type: 'string' },
    'cni-path': { type: 'string', default: '/usr/lib/cni' },
  },
});

const SUBNET = '10.231.0';
const BRIDGE = 'cni-dkr0';
const HOST_PORT = 18080;
const CONTAINER_PORT = 8080;
const PAGE = 'hello from a docker container on a CNI network';
const IMAGE = 'libcni-example/busybox:latest';

/** What the run saw, for people (printed) and for tests (--report). */
const report: Record<string, unknown> = {};
const log = (line: string) => console.log(line);

async function startDockerd(workdir: string, cleanup: Cleanup): Promise<string> {
  const dir = path.join(workdir, 'docker');
  await mkdir(dir, { recursive: true });
  const socket = path.join(dir, 'docker.sock');
  const configFile = path.join(dir, 'daemon.json');
  await writeFile(configFile, '{}\n'); // so /etc/docker/daemon.json is not read
  // Directories dockerd and its containerd create outside --data-root/--exec-root; removed at the
  // end when they did not exist before and are empty again.
  const outside = ['/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd'].filter((entry) => !existsSync(entry));
  // Containers' cgroups go under a parent of our own, removed (when empty) after dockerd stops.
  const cgroupParent = `libcni-docker-${process.pid}`;
  const logFd = openSync(path.join(dir, 'dockerd.log'), 'a');
  // prettier-ignore
  const pid = await startDaemon('dockerd', [
    '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false',
    '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'),
    '--host', `unix://${socket}`, '--pidfile', path.join(dir, 'docker.pid'), '--config-file', configFile,
    '--cgroup-parent', cgroupParent,
  ], logFd);
  closeSync(logFd);
  cleanup.add('stop dockerd', async () => {
    const containerdPidFile = path.join(dir, 'exec/containerd/containerd.pid');
    const containerd = existsSync(containerdPidFile) ? Number(readFileSync(containerdPidFile, 'utf8')) : undefined;
    await stopPid(pid, 20_000);
    // dockerd stops its containerd itself; only when dockerd had to be killed may it remain.
    if (containerd && alive(containerd)) await stopPid(containerd, 5_000);
    for (const entry of outside) await rmdir(entry).catch(() => undefined); // only when empty
    await removeCgroups(cgroupParent);
  });
  const host = `unix://${socket}`;
  await waitFor('dockerd to answer', async () => {
    if (!alive(pid)) throw new Error(`dockerd exited; see ${path.join(dir, 'dockerd.log')}`);
    return (await attempt('docker', ['-H', host, 'version'], { timeoutMs: 5_000 })).ok ? true : undefined;
  }, 60_000, 200);
  log(`started dockerd (pid ${pid}) on ${host}: no bridge, no iptables, no forwarding`);
  return host;
}

/** Removes the (empty) cgroup directories named `name` in every hierarchy. */
async function removeCgroups(name: string): Promise<void> {
  const root = '/sys/fs/cgroup';
  for (const dir of [root, ...(await readdir(root).catch(() => [] as string[])).map((entry) => path.join(root, entry))]) {
    await rmdir(path.join(dir, name)).catch(() => undefined);
  }
}

async function writeNetworkConfigs(confDir: string, ipamDir: string): Promise<void> {
  await mkdir(confDir, { recursive: true });
  const bridge = {
    cniVersion: '1.0.0',
    name: 'docker-example',
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE,
        isGateway: true,
        ipMasq: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: `${SUBNET}.0/24` }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  await writeFile(path.join(confDir, '10-docker-example.conflist'), `${JSON.stringify(bridge, null, 2)}\n`);
  await writeFile(path.join(confDir, '99-loopback.conf'), `${JSON.stringify({ cniVersion: '1.0.0', name: 'loopback', type: 'loopback' }, null, 2)}\n`);
}

/** Resolves when a removal succeeded or the thing was already gone. */
async function gone(removal: Promise<unknown>): Promise<void> {
  await removal.catch((error: Error) => {
    if (!/No such (container|image)/i.test(error.message)) throw error;
  });
}

interface StepReply {
  results?: { network: string; ifName: string; result: { ips?: { address: string; gateway?: string }[] } }[];
}

/** Runs cni-step.ts inside the host namespace: the library call a runtime would make. */
async function cniStep(hostNs: string, request: Record<string, unknown>): Promise<StepReply> {
  const stdout = await inNetns(hostNs, process.execPath, [path.join(here, 'cni-step.ts')], { input: JSON.stringify(request), timeoutMs: 120_000 });
  return JSON.parse(stdout) as StepReply;
}

async function main(): Promise<void> {
  requireTools({ ip: 'iproute2', iptables: 'iptables', tar: 'tar', busybox: 'busybox-static', docker: 'docker.io', dockerd: 'docker.io' });
  for (const plugin of ['loopback', 'bridge', 'host-local', 'portmap']) {
    if (!existsSync(path.join(flags['cni-path'], plugin))) throw new Error(`no ${plugin} plugin in ${flags['cni-path']}: apt-get install -y containernetworking-plugins`);
  }
  const cleanup = new Cleanup();
  cleanup.onSignals();
  try {
    await story(cleanup);
  } finally {
    const failures = await cleanup.run();
    report['cleanupFailures'] = failures;
    if (flags.report) await writeFile(flags.report, JSON.stringify(report, null, 2));
    if (failures.length > 0) throw new Error(`cleanup failed: ${failures.join('; ')}`);
    log('cleaned up: container, image, dockerd, namespaces and files are gone');
  }
}

async function story(cleanup: Cleanup): Promise<void> {
  const started = Date.now();
  const workdir = flags.workdir ?? (await mkdtemp(path.join(tmpdir(), 'libcni-docker-')));
  if (!flags.workdir) cleanup.add('remove the work directory', () => rm(workdir, { recursive: true, force: true }));
  const confDir = path.join(workdir, 'net.d');
  const cacheDir = path.join(workdir, 'cache');
  const ipamDir = path.join(workdir, 'ipam');
  await writeNetworkConfigs(confDir, ipamDir);

  const hostNs = flags['host-netns'] ?? `lcni-docker-host-${process.pid}`;
  if (!flags['host-netns']) {
    await addNetns(hostNs);
    cleanup.add(`delete namespace ${hostNs}`, () => delNetns(hostNs));
  }
  log(`the plugins run in namespace ${hostNs}, which stands in for the host`);

  const dockerHost = flags['docker-host'] ?? (await startDockerd(workdir, cleanup));
  cleanup.checkpoint();
  const docker = (...args: string[]) => run('docker', ['-H', dockerHost, ...args], { timeoutMs: 60_000 });

  // An image from a tarred busybox root filesystem: no registry involved.
  const rootfs = path.join(workdir, 'rootfs');
  await writeBusyboxRootfs(rootfs, PAGE);
  await run('tar', ['-C', rootfs, '-cf', path.join(workdir, 'rootfs.tar'), '.']);
  cleanup.add(`remove image ${IMAGE}`, () => gone(docker('rmi', '--force', IMAGE)));
  await docker('import', '--change', 'CMD ["/bin/sh"]', path.join(workdir, 'rootfs.tar'), IMAGE);
  cleanup.checkpoint();

  // The container has no network from Docker; sh as PID 1 exits on SIGTERM so `docker stop` is quick.
  const name = `libcni-docker-${process.pid}`;
  const script = `trap 'exit 0' TERM; httpd -f -p ${CONTAINER_PORT} -h /www & wait`;
  cleanup.add(`remove container ${name}`, () => gone(docker('rm', '--force', name)));
  const containerId = (await docker('run', '-d', '--network=none', '--name', name, IMAGE, 'sh', '-c', script)).trim();
  const [sandboxKey = '', pid = ''] = (await docker('inspect', '-f', '{{.NetworkSettings.SandboxKey}} {{.State.Pid}}', containerId)).trim().split(' ');
  // SandboxKey is Docker's bind mount of the namespace; /proc/<pid>/ns/net names the same one.
  const netns = sandboxKey !== '' ? sandboxKey : `/proc/${pid}/ns/net`;
  report['containerId'] = containerId;
  report['netns'] = netns;
  log(`docker run --network=none: container ${containerId.slice(0, 12)}, network namespace ${netns}`);

  const request = {
    confDir,
    cacheDir,
    cniPath: [flags['cni-path']],
    containerId,
    netns,
    portMappings: [{ hostPort: HOST_PORT, containerPort: CONTAINER_PORT, protocol: 'tcp' }],
  };
  cleanup.checkpoint();
  // Registered first: DEL is safe to run even for an ADD that never finished.
  let detached = false;
  cleanup.add('detach the networks', async () => {
    if (!detached) await cniStep(hostNs, { ...request, op: 'detach' });
  });
  let stepStarted = Date.now();
  const reply = await cniStep(hostNs, { ...request, op: 'attach' });
  report['attachMs'] = Date.now() - stepStarted;
  const eth0 = reply.results?.find((entry) => entry.ifName === 'eth0')?.result.ips?.[0];
  if (!eth0) throw new Error('the bridge network returned no address');
  const address = eth0.address.split('/')[0]!;
  report['address'] = eth0.address;
  report['gateway'] = eth0.gateway;
  log(`attached with libcni in ${String(report['attachMs'])} ms: lo, eth0 ${eth0.address} via ${eth0.gateway ?? '?'}, port ${HOST_PORT} -> ${CONTAINER_PORT}`);

  // From inside the container, with the container's own busybox.
  const inside = await docker('exec', containerId, 'ip', 'addr');
  const routes = await docker('exec', containerId, 'ip', 'route');
  // busybox 1.35's static wget crashes on its own -T option, so `timeout` bounds it instead.
  const local = (await docker('exec', containerId, 'timeout', '5', 'wget', '-q', '-O', '-', `http://127.0.0.1:${CONTAINER_PORT}/`)).trim();
  report['insideAddr'] = inside;
  report['insideRoutes'] = routes;
  report['insideLoopback'] = local;
  log(`\ndocker exec ${name} ip addr:\n${inside.trimEnd()}`);
  log(`docker exec ${name} ip route:\n${routes.trimEnd()}`);

  // From the host namespace: the container's address, and the published port on the gateway.
  const wget = (url: string) => inNetns(hostNs, 'busybox', ['wget', '-q', '-O', '-', url], { timeoutMs: 10_000 }).then((text) => text.trim());
  report['direct'] = await wget(`http://${address}:${CONTAINER_PORT}/`);
  report['published'] = await wget(`http://${eth0.gateway ?? `${SUBNET}.1`}:${HOST_PORT}/`);
  log(`\nfrom ${hostNs}: http://${address}:${CONTAINER_PORT}/ -> ${String(report['direct'])}`);
  log(`from ${hostNs}: http://${eth0.gateway}:${HOST_PORT}/ (portmap DNAT) -> ${String(report['published'])}`);
  cleanup.checkpoint();

  stepStarted = Date.now();
  await cniStep(hostNs, { ...request, op: 'detach' });
  detached = true;
  report['detachMs'] = Date.now() - stepStarted;
  report['insideAfterDetach'] = await docker('exec', containerId, 'ip', '-o', 'link');
  const left = await leftovers({ hostNs, keepLinks: [BRIDGE], ipamDir, cacheDir });
  report['leftovers'] = left;
  log(`\ndetached in ${String(report['detachMs'])} ms; left behind: ${left.length === 0 ? 'nothing' : left.join(', ')}`);
  if (left.length > 0) throw new Error(`detach left state behind: ${left.join(', ')}`);

  await docker('stop', '--time', '10', containerId);
  await docker('rm', containerId);
  report['containersLeft'] = (await docker('ps', '--all', '--quiet')).trim();
  report['totalMs'] = Date.now() - started;
  log(`stopped and removed the container (${String(report['totalMs'])} ms so far)`);
}

try {
  await main();
} catch (error) {
  console.error(`docker example failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
