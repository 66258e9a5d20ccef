// examples/docker end to end, against a dockerd this test starts itself: no bridge, no iptables,
// no forwarding or masquerading changes, its own socket, data and exec directories, stopped by PID
// at the end. The example attaches a --network=none container with libcni (loopback, bridge,
// host-local, portmap), checks it from inside and outside, detaches it and removes it.
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, alive, exec, requireEnvironment, sh, stopPid, waitFor } from '../plugins/lab.js';
import { leftState, runExample } from './run-example.js';

const PAGE = 'hello from a docker container on a CNI network';
let lab: Lab;
let workdir: string;
let dockerDir: string;
let host: string;
let dockerdPid: number | undefined;
let containerdPid: number | undefined;
// Directories dockerd and its containerd create outside their own; removed again if new and empty.
const OUTSIDE = ['/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd'];
let createdOutside: string[] = [];
// The containers' cgroups go under a parent of this test's own, removed again at the end.
const CGROUP_PARENT = `libcni-test-docker-${process.pid}`;

/** The cgroup directories named `name`, in every hierarchy. */
function cgroupDirs(name: string): string[] {
  const root = '/sys/fs/cgroup';
  const hierarchies = existsSync(root) ? readdirSync(root).map((entry) => path.join(root, entry)) : [];
  return [root, ...hierarchies].map((dir) => path.join(dir, name)).filter((dir) => existsSync(dir));
}

const docker = (...args: string[]) => sh('docker', ['-H', host, ...args], { timeoutMs: 60_000 });

beforeAll(async () => {
  requireEnvironment({ plugins: ['loopback', 'bridge', 'host-local', 'portmap'], tools: ['docker', 'dockerd', 'busybox', 'tar', 'iptables'] });
  lab = await Lab.create('dkr');
  workdir = path.join(lab.dir, 'work');
  dockerDir = path.join(lab.dir, 'docker');
  await mkdir(workdir);
  await mkdir(dockerDir);
  host = `unix://${path.join(dockerDir, 'docker.sock')}`;
  await writeFile(path.join(dockerDir, 'daemon.json'), '{}\n');
  createdOutside = OUTSIDE.filter((entry) => !existsSync(entry));
  const log = openSync(path.join(dockerDir, 'dockerd.log'), 'a');
  // prettier-ignore
  const child = spawn('dockerd', [
    '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false',
    '--data-root', path.join(dockerDir, 'data'), '--exec-root', path.join(dockerDir, 'exec'),
    '--host', host, '--pidfile', path.join(dockerDir, 'docker.pid'), '--config-file', path.join(dockerDir, 'daemon.json'),
    '--cgroup-parent', CGROUP_PARENT,
  ], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  dockerdPid = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve(child.pid!));
  });
  child.unref();
  // Should this process end without afterAll (a crash), the daemon still goes.
  process.once('exit', () => {
    if (dockerdPid !== undefined && alive(dockerdPid)) {
      spawnSync('sh', ['-c', `kill ${dockerdPid}; for i in $(seq 100); do kill -0 ${dockerdPid} 2>/dev/null || exit 0; sleep 0.1; done; kill -9 ${dockerdPid}`]);
    }
  });
  await waitFor('dockerd to answer', async () => {
    if (!alive(dockerdPid!)) throw new Error(`dockerd exited: ${readFileSync(path.join(dockerDir, 'dockerd.log'), 'utf8').slice(-2000)}`);
    return (await exec('docker', ['-H', host, 'version'], { timeoutMs: 5_000 })).code === 0 ? true : undefined;
  }, 60_000, 200);
  const containerdPidFile = path.join(dockerDir, 'exec/containerd/containerd.pid');
  containerdPid = existsSync(containerdPidFile) ? Number(readFileSync(containerdPidFile, 'utf8')) : undefined;
}, 90_000);

afterAll(async () => {
  if (dockerdPid !== undefined) {
    // Containers a failed run may have left, then the daemon, by PID.
    const left = await exec('docker', ['-H', host, 'ps', '--all', '--quiet']);
    for (const id of left.stdout.split('\n').filter(Boolean)) await exec('docker', ['-H', host, 'rm', '--force', id], { timeoutMs: 30_000 });
    await stopPid(dockerdPid, 20_000);
    if (containerdPid !== undefined && alive(containerdPid)) await stopPid(containerdPid, 5_000);
  }
  for (const entry of createdOutside) await rmdir(entry).catch(() => undefined); // only when empty
  for (const dir of cgroupDirs(CGROUP_PARENT)) await rmdir(dir).catch(() => undefined);
  await lab?.dispose();
  expect(cgroupDirs(CGROUP_PARENT)).toEqual([]);
  expect(dockerdPid === undefined || !alive(dockerdPid)).toBe(true);
  expect(containerdPid === undefined || !alive(containerdPid)).toBe(true);
}, 60_000);

describe('examples/docker', () => {
  it('attaches a --network=none container with libcni, reaches it, detaches and removes it', { timeout: 180_000 }, async () => {
    const run = await runExample('docker', lab, workdir, ['--docker-host', host]);
    const report = run.report;
    const address = String(report['address']);
    expect(address).toMatch(/^10\.231\.0\.\d+\/24$/);
    expect(report['gateway']).toBe('10.231.0.1');
    expect(report['netns']).toMatch(/\/exec\/netns\/[0-9a-f]+$/); // Docker's SandboxKey
    // From inside the container (docker exec): the address, the route, and lo answering.
    expect(report['insideAddr']).toContain(`inet ${address}`);
    expect(report['insideAddr']).toMatch(/lo: <LOOPBACK,UP/);
    expect(report['insideRoutes']).toContain('default via 10.231.0.1 dev eth0');
    expect(report['insideLoopback']).toBe(PAGE);
    // From the host side: directly, and through portmap's published port on the gateway.
    expect(report['direct']).toBe(PAGE);
    expect(report['published']).toBe(PAGE);
    // After detach the container has no eth0 left.
    expect(report['insideAfterDetach']).not.toContain('eth0');
    expect(report['leftovers']).toEqual([]);
    expect(report['cleanupFailures']).toEqual([]);

    // Checked again from out here: no container, no image, Docker's namespace gone, nothing left
    // in the host namespace or the work directory.
    expect((await docker('ps', '--all', '--quiet')).trim()).toBe('');
    expect((await docker('images', '--quiet')).trim()).toBe('');
    // Docker unmounts the namespace at once (the empty file is removed by its own periodic GC).
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(report['netns']);
    expect(await leftState(lab, workdir, ['cni-dkr0'], [])).toEqual([]);
    console.log(`docker example: ${run.ms} ms (attach ${report['attachMs']} ms, detach ${report['detachMs']} ms)`);
  });
});
