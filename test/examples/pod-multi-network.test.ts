// examples/pod-multi-network end to end: one sandbox on a bridge (eth0) and a macvlan (net1) with
// Kubernetes CNI_ARGS, reachable on both, detached from both, nothing left.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment, sh } from '../plugins/lab.js';
import { leftState, runExample } from './run-example.js';

let lab: Lab;
let workdir: string;
// Names the example's namespaces (lan-<id>, pod-<id>), so they can be removed here even if the
// example is killed before it reports them.
const ID = `t${process.pid}`;
const NAMESPACES = [`lan-${ID}`, `pod-${ID}`];

beforeAll(async () => {
  requireEnvironment({ plugins: ['loopback', 'bridge', 'macvlan', 'host-local'], tools: ['busybox', 'nsenter', 'iptables'] });
  lab = await Lab.create('pod');
  workdir = path.join(lab.dir, 'work');
  await mkdir(workdir);
});

afterAll(async () => {
  for (const name of NAMESPACES) if (existsSync(`/var/run/netns/${name}`)) await sh('ip', ['netns', 'del', name]).catch(() => undefined);
  await lab?.dispose();
});

describe('examples/pod-multi-network', () => {
  it('attaches a pod sandbox to two networks with Kubernetes CNI_ARGS and detaches both', { timeout: 120_000 }, async () => {
    const run = await runExample('pod-multi-network', lab, workdir, ['--id', ID]);
    const report = run.report;
    expect(report['eth0']).toMatch(/^10\.233\.0\.\d+\/24$/);
    expect(report['net1']).toBe('192.168.233.100/24');
    // From inside the sandbox: both addresses, both networks reachable.
    expect(report['insideAddr']).toMatch(new RegExp(`^eth0\\S*\\s+UP\\s+${String(report['eth0']).replaceAll('.', '\\.')}`, 'm'));
    expect(report['insideAddr']).toMatch(/^net1\S*\s+UP\s+192\.168\.233\.100\/24/m);
    expect(report['pingCluster']).toBe(true);
    expect(report['pingLan']).toBe(true);
    // Without IgnoreUnknown=1 the plugins refuse the Kubernetes keys, and libcni says which one.
    expect(report['withoutIgnoreUnknown']).toEqual(expect.objectContaining({ code: 'ERR_CNI_PLUGIN', plugin: 'bridge', cniCode: 999 }));
    expect(report['withoutIgnoreUnknown'].message).toContain('K8S_POD_NAMESPACE');
    // The pod's identity went to every network and is cached for CHECK and DEL.
    for (const entry of report['cachedArgs']) {
      expect(entry.cniArgs[0]).toEqual(['IgnoreUnknown', '1']);
      expect(entry.cniArgs).toContainEqual(['K8S_POD_NAME', 'web-0']);
      expect(entry.cniArgs).toContainEqual(['K8S_POD_NAMESPACE', 'default']);
    }
    expect(report['cachedArgs'].map((entry: { ifName: string }) => entry.ifName).sort()).toEqual(['eth0', 'lo', 'net1']);
    // Detached: the sandbox has only lo left; nothing in the host namespace or the work dir.
    expect(report['sandboxLinks']).toEqual(['lo']);
    expect(report['leftovers']).toEqual([]);
    expect(report['cleanupFailures']).toEqual([]);
    expect(report['namespaces']).toEqual(NAMESPACES);
    expect(await leftState(lab, workdir, ['cni-pod0'], NAMESPACES)).toEqual([]);
    console.log(`pod-multi-network example: ${run.ms} ms (attach ${report['attachMs']} ms, detach ${report['detachMs']} ms)`);
  });
});
